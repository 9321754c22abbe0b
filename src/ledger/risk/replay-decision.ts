import type { Database } from '../persistence/database.js';
import { compileStoredRules } from './compile-rule.js';
import { decideRisk, type RiskDecision } from './decide-risk.js';
import { readRiskDecision, type StoredRiskDecision } from './decision-store.js';
import { loadRuleVersions } from './rule-store.js';

/**
 * Decides a stored decision again: the same rule versions (not today's rules) on the same feature
 * values. Because decideRisk is pure, the replay's action is the stored one; a difference means
 * the engine changed under the rules, which is what a replay is for finding.
 */
export async function replayRiskDecision(database: Database, decisionId: string): Promise<{ stored: StoredRiskDecision; replayed: RiskDecision } | undefined> {
  const stored = await readRiskDecision(database, decisionId);
  if (!stored) return undefined;
  const rules = await loadRuleVersions(database, stored.ruleVersions);
  if (rules.length !== stored.ruleVersions.length) {
    // Rules are append-only, so this is a damaged database, not a state to decide around.
    throw new Error(`risk decision ${decisionId} ran ${stored.ruleVersions.length} rule versions, ${rules.length} are stored`);
  }
  return { stored, replayed: decideRisk(compileStoredRules(rules), stored.features) };
}
