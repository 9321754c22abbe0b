import sql, { type Sql } from 'sql-template-tag';
import { queryRows, queryStatement, type Database } from '../persistence/database.js';
import type { EvaluationFailure, RiskDecision, RuleVerdict } from './decide-risk.js';
import { featuresFromJson, featuresJsonText } from './feature-json.js';
import type { RiskFeatures } from './features.js';
import type { RiskAction, RuleVersionRef } from './rule.js';

/**
 * Decisions in PostgreSQL: what the risk step decided, which rule versions it ran and the feature
 * values it saw, so that any decision can be explained and replayed later. An ALLOW is kept on the
 * transaction it let through (ledger_transactions.risk_decision), a REVIEW or a DENY as a
 * risk_decisions row; risk_decision_records shows both as one. Append-only, both: a decision is a
 * fact about the moment it was made.
 */

/** The command a decision belongs to, named as its idempotency record is: (user, key). */
export interface CommandReference {
  readonly userId: string;
  readonly idempotencyKey: string;
}

export interface StoredRiskDecision {
  readonly id: string;
  readonly command: CommandReference | null;
  readonly action: RiskAction;
  readonly ruleVersions: readonly RuleVersionRef[];
  readonly verdicts: readonly RuleVerdict[];
  readonly features: RiskFeatures;
  readonly evaluationErrors: readonly EvaluationFailure[];
  readonly createdAt: Date;
}

/**
 * What a decision holds beyond the command it was made for, as JSON text: the action, the rule
 * versions, the verdicts, the features and the evaluation errors. An ALLOW rides as this in its
 * transaction's `risk_decision` column (migration 20261208100000), written by the movement's own
 * statement (write-movements.ts): no row of its own. Text, so the features' JSON (featuresJsonText)
 * is not parsed back.
 */
export function decisionBodyJson(decision: RiskDecision): string {
  return `{"action":${JSON.stringify(decision.action)},"rule_versions":${ruleVersionsJson(decision.ruleVersions)},"verdicts":${listJson(decision.verdicts)},"features":${featuresJsonText(decision.features)},"evaluation_errors":${listJson(decision.evaluationErrors)}}`;
}

/** Each rule set's versions as JSON, written once: every decision of the set shares the array (decide-risk.ts). */
const ruleVersionsText = new WeakMap<readonly RuleVersionRef[], string>();

function ruleVersionsJson(versions: readonly RuleVersionRef[]): string {
  let text = ruleVersionsText.get(versions);
  if (text === undefined) ruleVersionsText.set(versions, (text = JSON.stringify(versions)));
  return text;
}

/** Most decisions have no verdict and no error. */
function listJson(values: readonly unknown[]): string {
  return values.length === 0 ? '[]' : JSON.stringify(values);
}

/** One decision as the JSON object of a risk_decisions row (a REVIEW's or a DENY's, or one made outside a command). */
export function riskDecisionJson(decision: RiskDecision, record: { readonly id: string; readonly command: CommandReference | null; readonly now: Date }): string {
  const scalars = JSON.stringify({
    id: record.id,
    user_id: record.command?.userId ?? null,
    idempotency_key: record.command?.idempotencyKey ?? null,
    created_at: record.now.toISOString(),
  });
  return `${scalars.slice(0, -1)},${decisionBodyJson(decision).slice(1)}`;
}

/** The CTE that inserts decisions (riskDecisionJson each) into risk_decisions. */
function riskDecisionsInsert(rows: readonly string[]): Sql {
  return sql`risk_decisions_written as (
    insert into risk_decisions (id, user_id, idempotency_key, action, rule_versions, verdicts, features, evaluation_errors, created_at)
    select d.id, d.user_id, d.idempotency_key, d.action, d.rule_versions, d.verdicts, d.features, d.evaluation_errors, d.created_at
      from jsonb_to_recordset(${`[${rows.join(',')}]`}::jsonb) as d
        (id uuid, user_id uuid, idempotency_key text, action text, rule_versions jsonb, verdicts jsonb, features jsonb, evaluation_errors jsonb, created_at timestamptz))`;
}

/** Writes one decision in a statement of its own; run it in the unit of the command it decided, so both commit or neither. */
export async function storeRiskDecision(
  database: Database,
  decision: RiskDecision,
  record: { readonly id: string; readonly command: CommandReference | null; readonly now: Date },
): Promise<void> {
  await queryStatement(database, sql`with ${riskDecisionsInsert([riskDecisionJson(decision, record)])} select 1`);
}

interface DecisionRow {
  id: string;
  user_id: string | null;
  idempotency_key: string | null;
  action: RiskAction;
  rule_versions: RuleVersionRef[];
  verdicts: RuleVerdict[];
  features: Record<string, unknown>;
  evaluation_errors: EvaluationFailure[];
  created_at: Date | string;
}

/** A stored decision by its id (an ALLOW's is its transaction's), from whichever table holds it (risk_decision_records). */
export async function readRiskDecision(database: Database, decisionId: string): Promise<StoredRiskDecision | undefined> {
  const [row] = await queryRows<DecisionRow>(
    database,
    `select id, user_id, idempotency_key, action, rule_versions, verdicts, features, evaluation_errors, created_at from risk_decision_records where id = ?`,
    [decisionId],
  );
  if (!row) return undefined;
  return {
    id: row.id,
    command: row.user_id !== null && row.idempotency_key !== null ? { userId: row.user_id, idempotencyKey: row.idempotency_key } : null,
    action: row.action,
    ruleVersions: row.rule_versions,
    verdicts: row.verdicts,
    features: featuresFromJson(row.features),
    evaluationErrors: row.evaluation_errors,
    createdAt: new Date(row.created_at),
  };
}
