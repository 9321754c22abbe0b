import sql from 'sql-template-tag';
import { bankingDayOf, bankingDayWindow } from '../calendar/business-days.js';
import { VELOCITY_WINDOWS, type VelocityWindow } from '../risk/features.js';
import type { CashTally, OutgoingTally, RiskFacts, RiskFactsRequest, WindowTally } from '../risk/risk-facts.js';
import type { Channel } from '../types.js';
import { queryStatement, toBigInt, type Database } from './database.js';

/**
 * The risk step's facts for each asked account (Prefetch.riskOf), one call per account of the
 * database function tally_risk_facts (migration 20261201160000: plpgsql, so its plans are cached
 * per connection; what it counts is described there), read inside the unit after its locks and
 * clock. Every scan is bounded by time on the index entries_history_by_time over the customer's
 * accounts: 7 days for the velocity windows, one banking day for cash.
 */

interface FactsJson {
  created_at: string;
  last_activity_at: string | null;
  outgoing: Array<Record<string, string>> | null;
  cash_today: Array<{ kind: 'DEPOSIT' | 'WITHDRAWAL'; currency: string; sum_minor: string }> | null;
  payee_known: boolean;
  rules_version: number;
}

/** One account's facts, and how many rule versions the database holds (the unit's rule cache key). */
async function readOne(database: Database, ask: RiskFactsRequest, now: Date): Promise<{ facts: RiskFacts; rulesVersion: number } | undefined> {
  const day = bankingDayWindow(bankingDayOf(now, ask.calendar), ask.calendar);
  const [row] = await queryStatement<{ facts: FactsJson | string | null }>(
    database,
    sql`select tally_risk_facts(${ask.accountId}::uuid, ${ask.payeeAccountId ?? null}::uuid, ${now.toISOString()}::timestamptz,
                                ${day.startsAt.toISOString()}::timestamptz, ${day.endsAt.toISOString()}::timestamptz) as facts`,
  );
  if (!row?.facts) return undefined;
  const json: FactsJson = typeof row.facts === 'string' ? (JSON.parse(row.facts) as FactsJson) : row.facts;
  const facts: RiskFacts = {
    accountId: ask.accountId,
    openedAt: new Date(json.created_at),
    lastActivityAt: json.last_activity_at === null ? null : new Date(json.last_activity_at),
    outgoing: (json.outgoing ?? []).map(outgoingOf),
    cashToday: (json.cash_today ?? []).map((cash): CashTally => ({ kind: cash.kind, currency: cash.currency.trim(), sumMinor: toBigInt(cash.sum_minor) })),
    payeeKnown: json.payee_known,
  };
  return { facts, rulesVersion: Number(json.rules_version) };
}

function outgoingOf(row: Record<string, string>): OutgoingTally {
  const windows = Object.fromEntries(
    VELOCITY_WINDOWS.map((window): [VelocityWindow, WindowTally] => [window, { count: toBigInt(row[`count_${window}`]), sumMinor: toBigInt(row[`sum_${window}`]) }]),
  ) as Record<VelocityWindow, WindowTally>;
  return { channel: row.channel as Channel, currency: String(row.currency).trim(), windows };
}

/** How a unit finds the facts of one ask: the account and the payee asked about. */
export function riskFactsKey(accountId: string, payeeAccountId: string | undefined): string {
  return `${accountId} ${payeeAccountId ?? ''}`;
}

/**
 * The facts of every asked account, by riskFactsKey (an account that does not exist is absent),
 * and the number of rule versions saved, read in the same statements.
 */
export async function readRiskFacts(database: Database, asks: readonly RiskFactsRequest[], now: Date): Promise<{ facts: Map<string, RiskFacts>; rulesVersion: number | undefined }> {
  const facts = new Map<string, RiskFacts>();
  let rulesVersion: number | undefined;
  for (const ask of asks) {
    const key = riskFactsKey(ask.accountId, ask.payeeAccountId);
    if (facts.has(key)) continue;
    const read = await readOne(database, ask, now);
    if (!read) continue;
    facts.set(key, read.facts);
    rulesVersion = read.rulesVersion;
  }
  return { facts, rulesVersion };
}
