import { randomUUID } from 'node:crypto';
import type { Database } from '../persistence/database.js';
import type { Actor } from '../types.js';
import type { RiskDecision } from './decide-risk.js';
import { decisionBodyJson, storeRiskDecision } from './decision-store.js';

/**
 * Stores a movement's risk decision in its command's unit, named by the command's key, so it
 * commits with the movement (or the refusal) and can be replayed later. Returns its id.
 */
export async function storeJudgement(database: Database, decision: RiskDecision, context: { readonly actor: Actor; readonly idempotencyKey: string; readonly now: Date }): Promise<string> {
  const id = randomUUID();
  await storeRiskDecision(database, decision, { id, command: { userId: context.actor.userId, idempotencyKey: context.idempotencyKey }, now: context.now });
  return id;
}

/**
 * An ALLOW as its transaction's risk_decision (written by the movement's own statement: no row of
 * its own, no round trip); nothing when the movement was not judged. The transaction names the
 * command (its actor, key and clock), so the decision does not repeat them.
 */
export function judgementRow(decision: RiskDecision | undefined): { riskDecision?: string } {
  if (!decision) return {};
  // A REVIEW is written by writeInReview, a DENY refuses: only an ALLOW posts (the column's check says so too).
  if (decision.action !== 'ALLOW') throw new Error(`a ${decision.action} decision cannot ride on a posted transaction`);
  return { riskDecision: decisionBodyJson(decision) };
}

/** The decision a fresh RISK_DECLINED carries (undefined on a replayed one). */
export function declinedDecision(error: unknown): RiskDecision | undefined {
  const candidate = error as { code?: string; decision?: unknown } | undefined;
  return candidate?.code === 'RISK_DECLINED' && candidate.decision ? (candidate.decision as RiskDecision) : undefined;
}
