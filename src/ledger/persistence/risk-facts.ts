import sql, { type Sql } from 'sql-template-tag';
import { bankingDayContaining, type BankingDayWindow } from '../calendar/banking-day-containing.js';
import { VELOCITY_WINDOWS, type VelocityWindow } from '../risk/features.js';
import type { CashTally, OutgoingTally, RiskFacts, RiskFactsRequest, WindowTally } from '../risk/risk-facts.js';
import type { Channel } from '../types.js';
import { queryStatement, toBigInt, type Database } from './database.js';

/**
 * The risk step's facts for each asked account (Prefetch.riskOf), from the database function
 * tally_risk_facts (migration 20261201140000: plpgsql, so its plans are cached per connection;
 * what it counts is described there; VOLATILE since 20261202100000), read inside the unit after
 * its locks and clock. Every scan is bounded by time on the index entries_history_by_time over the
 * customer's accounts: 7 days for the velocity windows, one banking day for cash.
 *
 * Two ways in. Usually the unit's claim-and-lock statement calls the function once its locks are
 * granted (riskFactsAfterLocks): no round trip of its own. When that could not be used (the
 * banking day guessed before the statement was not the one of the unit's clock, or the asks use
 * different calendars) readRiskFacts calls it in a statement of its own.
 */

interface FactsJson {
  created_at: string;
  last_activity_at: string | null;
  outgoing: Array<Record<string, string>> | null;
  cash_today: Array<{ kind: 'DEPOSIT' | 'WITHDRAWAL'; currency: string; sum_minor: string }> | null;
  payee_known: boolean;
  rules_version: number;
}

/** What one call of tally_risk_facts answered; null when the account does not exist. */
export type RiskFactsJson = FactsJson | string | null;

/** One account's facts, and how many rule versions the database holds (the unit's rule cache key). */
function factsOf(ask: Pick<RiskFactsRequest, 'accountId' | 'payeeAccountId'>, answer: RiskFactsJson): { facts: RiskFacts; rulesVersion: number } | undefined {
  if (!answer) return undefined;
  const json: FactsJson = typeof answer === 'string' ? (JSON.parse(answer) as FactsJson) : answer;
  const facts: RiskFacts = {
    accountId: ask.accountId,
    ...(ask.payeeAccountId ? { payeeAccountId: ask.payeeAccountId } : {}),
    openedAt: new Date(json.created_at),
    lastActivityAt: json.last_activity_at === null ? null : new Date(json.last_activity_at),
    outgoing: (json.outgoing ?? []).map(outgoingOf),
    cashToday: (json.cash_today ?? []).map((cash): CashTally => ({ kind: cash.kind, currency: cash.currency.trim(), sumMinor: toBigInt(cash.sum_minor) })),
    payeeKnown: json.payee_known,
  };
  return { facts, rulesVersion: Number(json.rules_version) };
}

async function readOne(database: Database, ask: RiskFactsRequest, now: Date): Promise<{ facts: RiskFacts; rulesVersion: number } | undefined> {
  const day = bankingDayContaining(now, ask.calendar);
  const [row] = await queryStatement<{ facts: RiskFactsJson }>(
    database,
    sql`select tally_risk_facts(${ask.accountId}::uuid, ${ask.payeeAccountId ?? null}::uuid, ${now.toISOString()}::timestamptz,
                                ${day.startsAt.toISOString()}::timestamptz, ${day.endsAt.toISOString()}::timestamptz) as facts`,
  );
  return factsOf(ask, row?.facts ?? null);
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

/** The facts of a unit's asks, by riskFactsKey, and the number of rule versions saved. */
export interface UnitRiskFacts {
  readonly facts: Map<string, RiskFacts>;
  readonly rulesVersion: number | undefined;
}

/**
 * The facts of every asked account, by riskFactsKey (an account that does not exist is absent),
 * and the number of rule versions saved, read in the same statements.
 */
export async function readRiskFacts(database: Database, asks: readonly RiskFactsRequest[], now: Date): Promise<UnitRiskFacts> {
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

/**
 * What the claim-and-lock statement needs to read the facts after its locks: the unit's clock when
 * a test set it (else the statement's own clock after the locks), and the banking day of "cash
 * today", found before the statement from that clock or the process's.
 */
export interface RiskFactsAfterLocks {
  readonly clock: Date | undefined;
  readonly day: BankingDayWindow;
}

/**
 * The column of the claim-and-lock statement that reads the facts of every claimed command's ask,
 * once its locks are granted: tally_risk_facts is VOLATILE, so each of its statements takes a
 * fresh snapshot, and it is called only from the row of `waited` (the clock read after the locks),
 * so it runs after them. Reads the statement's `requested` (risk_account, risk_payee), `claim`
 * and `waited` (locked_at).
 */
export function riskFactsAfterLocks(read: RiskFactsAfterLocks): Sql {
  const clock = read.clock ? read.clock.toISOString() : null;
  return sql`(select coalesce(json_agg(json_build_object('account_id', asked.account_id, 'payee_id', asked.payee_id,
                  'facts', tally_risk_facts(asked.account_id, asked.payee_id, coalesce(${clock}::timestamptz, w.locked_at),
                                            ${read.day.startsAt.toISOString()}::timestamptz, ${read.day.endsAt.toISOString()}::timestamptz))), '[]'::json)
         from (select distinct r.risk_account as account_id, r.risk_payee as payee_id
                 from requested r join claim c on c.user_id = r.user_id and c.key = r.key
                where r.risk_account is not null) as asked
        cross join waited w)`;
}

/** One answer of riskFactsAfterLocks. */
export interface FoldedRiskFacts {
  readonly account_id: string;
  readonly payee_id: string | null;
  readonly facts: RiskFactsJson;
}

/** The facts riskFactsAfterLocks read, as readRiskFacts gives them. */
export function unitRiskFactsOf(answers: readonly FoldedRiskFacts[]): UnitRiskFacts {
  const facts = new Map<string, RiskFacts>();
  let rulesVersion: number | undefined;
  for (const answer of answers) {
    const read = factsOf({ accountId: answer.account_id, ...(answer.payee_id ? { payeeAccountId: answer.payee_id } : {}) }, answer.facts);
    if (!read) continue;
    facts.set(riskFactsKey(answer.account_id, answer.payee_id ?? undefined), read.facts);
    rulesVersion = read.rulesVersion;
  }
  return { facts, rulesVersion };
}
