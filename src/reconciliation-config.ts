import { ConfigError, readInteger } from './config.js';
import type { BankCalendar } from './ledger/calendar/business-days.js';
import type { ReconciliationPolicy } from './ledger/reconciliation/reconciliation-policy.js';
import { DEFAULT_MATCH_CONFIG, MAX_DRIFT_BUSINESS_DAYS, type MatchStrategy } from './ledger/reconciliation/strategies.js';

/**
 * Reconciliation's configuration from the environment (README "Reconciliation"):
 * RECONCILIATION_SLA, business days before an open break is overdue (default 2), and
 * RECONCILIATION_STRATEGIES, the matching strategies in order, comma-separated, each with its
 * parameters after colons: `REFERENCE`, `AMOUNT_DATE:<drift business days>:<tolerance in minor units>`,
 * `BATCH_REFERENCE`, `BATCH_DATE_SUM:<drift business days>`. Default:
 * `REFERENCE,AMOUNT_DATE:2:0,BATCH_REFERENCE,BATCH_DATE_SUM:0`.
 */
type Environment = Readonly<Record<string, string | undefined>>;

const VARIABLE = 'RECONCILIATION_STRATEGIES';

function driftOf(text: string | undefined): number {
  if (text === undefined || !/^\d+$/.test(text) || Number(text) > MAX_DRIFT_BUSINESS_DAYS) {
    throw new ConfigError(VARIABLE, `needs a drift of 0 to ${MAX_DRIFT_BUSINESS_DAYS} business days, got "${text ?? ''}"`);
  }
  return Number(text);
}

function strategyOf(text: string): MatchStrategy {
  const [kind, ...parameters] = text.trim().split(':');
  switch (kind) {
    case 'REFERENCE':
    case 'BATCH_REFERENCE':
      if (parameters.length > 0) throw new ConfigError(VARIABLE, `${kind} takes no parameters`);
      return { kind };
    case 'AMOUNT_DATE': {
      const tolerance = parameters[1] ?? '0';
      if (!/^\d{1,15}$/.test(tolerance)) throw new ConfigError(VARIABLE, `AMOUNT_DATE's tolerance is whole minor units, got "${tolerance}"`);
      return { kind, driftBusinessDays: driftOf(parameters[0]), amountToleranceMinor: String(BigInt(tolerance)) };
    }
    case 'BATCH_DATE_SUM':
      return { kind, driftBusinessDays: driftOf(parameters[0] ?? '0') };
    default:
      throw new ConfigError(VARIABLE, `knows REFERENCE, AMOUNT_DATE, BATCH_REFERENCE and BATCH_DATE_SUM, not "${kind ?? ''}"`);
  }
}

export function readReconciliationPolicy(environment: Environment, calendar: BankCalendar): ReconciliationPolicy {
  const text = environment[VARIABLE];
  const strategies = text ? text.split(',').map(strategyOf) : DEFAULT_MATCH_CONFIG.strategies;
  if (strategies.length === 0) throw new ConfigError(VARIABLE, 'needs at least one strategy');
  return {
    match: { strategies },
    slaBusinessDays: readInteger(environment, 'RECONCILIATION_SLA', 2, 0, 60),
    calendar,
  };
}
