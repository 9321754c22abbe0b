import { randomUUID } from 'node:crypto';
import type { Database } from '../persistence/database.js';
import type { Actor } from '../types.js';
import type { RiskDecision } from './decide-risk.js';
import { riskDecisionJson, storeRiskDecision } from './decision-store.js';

/**
 * Stores a movement's risk decision in its command's unit, named by the command's key, so it
 * commits with the movement (or the refusal) and can be replayed later. Returns its id.
 */
export async function storeJudgement(database: Database, decision: RiskDecision, context: { readonly actor: Actor; readonly idempotencyKey: string; readonly now: Date }): Promise<string> {
  const id = randomUUID();
  await storeRiskDecision(database, decision, { id, command: { userId: context.actor.userId, idempotencyKey: context.idempotencyKey }, now: context.now });
  return id;
}

/** The decision as a row of its movement's own statement (an ALLOW: no extra round trip); undefined when nothing was judged. */
export function judgementRow(decision: RiskDecision | undefined, context: { readonly actor: Actor; readonly idempotencyKey: string; readonly now: Date }): { riskDecision?: string } {
  if (!decision) return {};
  return { riskDecision: riskDecisionJson(decision, { id: randomUUID(), command: { userId: context.actor.userId, idempotencyKey: context.idempotencyKey }, now: context.now }) };
}

/** The decision a fresh RISK_DECLINED carries (undefined on a replayed one). */
export function declinedDecision(error: unknown): RiskDecision | undefined {
  const candidate = error as { code?: string; decision?: unknown } | undefined;
  return candidate?.code === 'RISK_DECLINED' && candidate.decision ? (candidate.decision as RiskDecision) : undefined;
}
