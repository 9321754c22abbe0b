import { NotFoundError, ValidationError } from '../errors.js';
import { queryRows, type Database } from '../persistence/database.js';
import { compileCondition } from './compile-rule.js';
import { validateRuleDraft, type RiskAction, type RiskRuleDraft, type RuleVersionRef, type StoredRiskRule } from './rule.js';

/**
 * Rules in PostgreSQL (risk_rules, migration 20261201130000). Nothing is updated: saving a rule
 * inserts its next version, disabling inserts a version with `enabled` false, and the current
 * rule is the latest version of each id. The table refuses a version out of sequence, so two
 * operators racing on one rule cannot both win (the loser's insert fails on the primary key).
 */

interface RuleRow {
  id: string;
  version: number;
  name: string;
  condition: string;
  action: RiskAction;
  reason: string;
  public_message: string | null;
  priority: number;
  enabled: boolean;
  currency: string | null;
  created_at: Date | string;
  created_by: string;
}

const RULE_COLUMNS = 'id, version, name, condition, action, reason, public_message, priority, enabled, currency, created_at, created_by';

function ruleFromRow(row: RuleRow): StoredRiskRule {
  return {
    id: row.id,
    version: row.version,
    name: row.name,
    condition: row.condition,
    action: row.action,
    reason: row.reason,
    publicMessage: row.public_message,
    priority: row.priority,
    enabled: row.enabled,
    currency: row.currency,
    createdAt: new Date(row.created_at),
    createdBy: row.created_by,
  };
}

/** The rules a movement is judged by: the latest version of each rule, when that version is enabled. */
export async function loadCurrentRules(database: Database): Promise<StoredRiskRule[]> {
  const rows = await queryRows<RuleRow>(
    database,
    `select * from (select distinct on (id) ${RULE_COLUMNS} from risk_rules order by id, version desc) latest
      where enabled order by priority, id`,
  );
  return rows.map(ruleFromRow);
}

/** The latest version of every rule, enabled or not, by priority: what operators manage. */
export async function listCurrentRules(database: Database): Promise<StoredRiskRule[]> {
  const rows = await queryRows<RuleRow>(
    database,
    `select * from (select distinct on (id) ${RULE_COLUMNS} from risk_rules order by id, version desc) latest order by priority, id`,
  );
  return rows.map(ruleFromRow);
}

/** Exactly the versions named (a stored decision's), for a replay; a version not stored is absent. */
export async function loadRuleVersions(database: Database, versions: readonly RuleVersionRef[]): Promise<StoredRiskRule[]> {
  if (!versions.length) return [];
  const rows = await queryRows<RuleRow>(
    database,
    `select ${RULE_COLUMNS} from risk_rules r
       join jsonb_to_recordset(?::jsonb) as wanted (id text, version integer) using (id, version)
      order by r.priority, r.id`,
    [JSON.stringify(versions)],
  );
  return rows.map(ruleFromRow);
}

/** Every version of one rule, oldest first: its history for operators. */
export async function listRuleHistory(database: Database, ruleId: string): Promise<StoredRiskRule[]> {
  const rows = await queryRows<RuleRow>(database, `select ${RULE_COLUMNS} from risk_rules where id = ? order by version`, [ruleId]);
  return rows.map(ruleFromRow);
}

/** Inserts `draft` as the next version of its rule, unchecked: callers check first. */
async function insertNextVersion(database: Database, draft: RiskRuleDraft, savedBy: string, now: Date): Promise<StoredRiskRule> {
  const [row] = await queryRows<RuleRow>(
    database,
    `insert into risk_rules (${RULE_COLUMNS})
     select ?, coalesce(max(version), 0) + 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? from risk_rules where id = ?
     returning ${RULE_COLUMNS}`,
    [draft.id, draft.name, draft.condition, draft.action, draft.reason, draft.publicMessage, draft.priority, draft.enabled, draft.currency, now, savedBy, draft.id],
  );
  if (!row) throw new Error(`inserting risk rule ${draft.id} returned no row`);
  return ruleFromRow(row);
}

/**
 * Saves a draft as the next version of its rule (version 1 for a new id): an edit never changes
 * what earlier decisions ran. Checks, in order: the draft's fields (rule.ts), then its condition
 * compiles to a bool over known features (the compiler's message on `condition`). Nothing is
 * stored when a check fails.
 */
export async function upsertRiskRule(database: Database, draft: RiskRuleDraft, savedBy: string, now: Date): Promise<StoredRiskRule | ValidationError> {
  const invalid = validateRuleDraft(draft);
  if (invalid) return invalid;
  const compiled = compileCondition(draft.condition);
  if (compiled instanceof ValidationError) return compiled;
  return insertNextVersion(database, draft, savedBy, now);
}

/**
 * Turns a rule off by saving its latest version again with `enabled` false. A rule already off
 * is returned as it is (disabling twice makes no new version); a rule never saved is not found.
 * Its condition is not recompiled: a rule broken by a change of features must still be switchable off.
 */
export async function disableRiskRule(database: Database, ruleId: string, disabledBy: string, now: Date): Promise<StoredRiskRule | NotFoundError> {
  const history = await listRuleHistory(database, ruleId);
  const latest = history.at(-1);
  if (!latest) return new NotFoundError(`risk rule ${ruleId} not found`);
  if (!latest.enabled) return latest;
  return insertNextVersion(database, { ...latest, enabled: false }, disabledBy, now);
}
