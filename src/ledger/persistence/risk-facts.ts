import sql, { raw, type Sql } from 'sql-template-tag';
import { bankingDayContaining, type BankingDayWindow } from '../calendar/banking-day-containing.js';
import { VELOCITY_WINDOWS, type VelocityWindow } from '../risk/features.js';
import type { CashTally, OutgoingTally, RiskFacts, RiskFactsRequest, WindowTally } from '../risk/risk-facts.js';
import type { Channel } from '../types.js';
import { tallyRiskLines } from '../risk/tally-risk-lines.js';
import { arrayLiteral, queryStatement, toBigInt, type Database } from './database.js';
import { riskLineCacheOf, type RiskLineCache, type TailAsk, type TailJson } from './risk-line-cache.js';

/**
 * The risk step's facts for each asked account (Prefetch.riskOf), from the database function
 * tally_risk_tail (migration 20261207100000): the account's own facts, and its customer's risk
 * lines written since what this process keeps of them (risk-line-cache.ts), counted here as
 * tally_risk_facts counts them there (tally-risk-lines.ts). An account with several owners, or
 * none, answers tally_risk_facts_by_accounts' facts instead. Read inside the unit after its locks
 * and clock (VOLATILE: each of its statements takes a fresh snapshot).
 *
 * Two ways in. Usually the unit's claim-and-lock statement calls the function once its locks are
 * granted (riskFactsAfterLocks): no round trip of its own. When that could not be used (the
 * banking day guessed before the statement was not the one of the unit's clock, or the asks use
 * different calendars) readRiskFacts calls it in a statement of its own.
 */

/** The account's own facts, in both answers. */
interface AccountJson {
  created_at: string;
  last_activity_at: string | null;
  payee_known: boolean;
  rules_version: number;
}

/** tally_risk_facts_by_accounts' answer: the account's facts, and the velocity and cash it counted. */
interface FactsJson extends AccountJson {
  outgoing: Array<Record<string, string>> | null;
  cash_today: Array<{ kind: 'DEPOSIT' | 'WITHDRAWAL'; currency: string; sum_minor: string }> | null;
}

/** What one call of tally_risk_tail answered: tail lines, another path's facts, or null when the account does not exist. */
type TailAnswerJson = (AccountJson & TailJson) | { facts: FactsJson | null };
export type RiskFactsJson = TailAnswerJson | string | null;

/** How one ask was sent: its cache state, and the banking day of "cash today". */
interface SentAsk {
  readonly tail: TailAsk;
  readonly day: BankingDayWindow;
}

/** One account's facts, and how many rule versions the database holds (the unit's rule cache key). */
function factsOf(
  ask: RiskAsk,
  answer: RiskFactsJson,
  sent: SentAsk,
  cache: RiskLineCache,
): { facts: RiskFacts; rulesVersion: number } | undefined {
  const json: TailAnswerJson | null = typeof answer === 'string' ? (JSON.parse(answer) as TailAnswerJson) : answer;
  if (!json) return undefined;
  if ('facts' in json) return json.facts ? accountFactsOf(ask, json.facts, tallyOfJson(json.facts)) : undefined;
  const sources = cache.absorb(ask.accountId, sent.tail, json);
  const at = { nowUs: Number(json.now_us), dayStartUs: sent.day.startsAt.getTime() * 1000, dayEndUs: sent.day.endsAt.getTime() * 1000 };
  return accountFactsOf(ask, json, tallyRiskLines(sources, at));
}

function accountFactsOf(
  ask: RiskAsk,
  json: AccountJson,
  tally: Pick<RiskFacts, 'outgoing' | 'cashToday'>,
): { facts: RiskFacts; rulesVersion: number } {
  const facts: RiskFacts = {
    accountId: ask.accountId,
    ...(ask.payeeAccountId ? { payeeAccountId: ask.payeeAccountId } : {}),
    openedAt: new Date(json.created_at),
    lastActivityAt: json.last_activity_at === null ? null : new Date(json.last_activity_at),
    ...tally,
    payeeKnown: json.payee_known,
  };
  return { facts, rulesVersion: Number(json.rules_version) };
}

/** The velocity and cash facts tally_risk_facts_by_accounts counted. */
function tallyOfJson(json: FactsJson): Pick<RiskFacts, 'outgoing' | 'cashToday'> {
  return {
    outgoing: (json.outgoing ?? []).map(outgoingOf),
    cashToday: (json.cash_today ?? []).map((cash): CashTally => ({ kind: cash.kind, currency: cash.currency.trim(), sumMinor: toBigInt(cash.sum_minor) })),
  };
}

/** The arguments of tally_risk_tail after the account, payee and clock: the banking day and the cache state. */
function tailArguments(day: BankingDayWindow, tail: TailAsk): Sql {
  return sql`${day.startsAt.toISOString()}::timestamptz, ${day.endsAt.toISOString()}::timestamptz,
             ${tail.customerId}::uuid, ${tail.watermark}::xid8, ${tail.coveredSinceUs}::bigint, ${tail.server}::text`;
}

async function readOne(database: Database, ask: RiskFactsRequest, now: Date): Promise<{ facts: RiskFacts; rulesVersion: number } | undefined> {
  const cache = riskLineCacheOf(database);
  const sent: SentAsk = { tail: cache.askFor(ask.accountId), day: bankingDayContaining(now, ask.calendar) };
  const [row] = await queryStatement<{ facts: RiskFactsJson }>(
    database,
    sql`select tally_risk_tail(${ask.accountId}::uuid, ${ask.payeeAccountId ?? null}::uuid, ${now.toISOString()}::timestamptz, ${tailArguments(sent.day, sent.tail)}) as facts`,
  );
  return factsOf(ask, row?.facts ?? null, sent, cache);
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
 * a test set it (else the statement's own clock after the locks), the banking day of "cash
 * today", found before the statement from that clock or the process's, and what the process keeps
 * of each asked account's customer (askedAfterLocks makes it).
 */
export interface RiskFactsAfterLocks {
  readonly clock: Date | undefined;
  readonly day: BankingDayWindow;
  readonly cache: RiskLineCache;
  readonly tails: ReadonlyMap<string, TailAsk>;
}

/** The plan of riskFactsAfterLocks for a unit's asked accounts. */
export function askedAfterLocks(database: Database, accountIds: readonly string[], clock: Date | undefined, day: BankingDayWindow): RiskFactsAfterLocks {
  const cache = riskLineCacheOf(database);
  return { clock, day, cache, tails: new Map(accountIds.map((accountId) => [accountId, cache.askFor(accountId)])) };
}

/** An account and payee the risk step asks about. */
export type RiskAsk = Pick<RiskFactsRequest, 'accountId' | 'payeeAccountId'>;

/**
 * The column of the claim-and-lock statement that reads the facts of each distinct ask, once its
 * locks are granted, in one call of tally_risk_tails (migration 20261209100000): it is VOLATILE,
 * so its statement takes a fresh snapshot, and it is called from the row of `waited` (the clock
 * read after the locks), so it runs after them. Reads the statement's `waited` (locked_at).
 *
 * Every command's ask is sent, claimed or not: a replay's ask read too only teaches the cache
 * lines it would learn anyway. Joining the asks back to `claim` through the statement's
 * `requested` rows, as this did before, cost PostgreSQL about 0.15 ms a statement (planning and
 * running the distinct and two more scans of the CTEs; pgbench, one client).
 */
export function riskFactsAfterLocks(read: RiskFactsAfterLocks, asks: readonly RiskAsk[]): Sql {
  const distinct = [...new Map(asks.map((ask) => [riskFactsKey(ask.accountId, ask.payeeAccountId), ask])).values()];
  if (distinct.length === 0) return sql`'[]'::json`;
  const tails = distinct.map((ask) => read.tails.get(ask.accountId));
  const column = (values: ReadonlyArray<string | null | undefined>, type: Sql) => sql`${arrayLiteral(values)}::${type}[]`;
  const clock = read.clock ? read.clock.toISOString() : null;
  return sql`(select tally_risk_tails(${column(distinct.map((ask) => ask.accountId), raw('uuid'))}, ${column(distinct.map((ask) => ask.payeeAccountId), raw('uuid'))},
                                      ${column(tails.map((tail) => tail?.customerId), raw('uuid'))}, ${column(tails.map((tail) => tail?.watermark), raw('xid8'))},
                                      ${column(tails.map((tail) => tail?.coveredSinceUs), raw('bigint'))}, ${column(tails.map((tail) => tail?.server), raw('text'))},
                                      coalesce(${clock}::timestamptz, w.locked_at),
                                      ${read.day.startsAt.toISOString()}::timestamptz, ${read.day.endsAt.toISOString()}::timestamptz)
         from waited w)`;
}

/** One answer of riskFactsAfterLocks. */
export interface FoldedRiskFacts {
  readonly account_id: string;
  readonly payee_id: string | null;
  readonly facts: RiskFactsJson;
}

/** The facts riskFactsAfterLocks read, as readRiskFacts gives them. */
export function unitRiskFactsOf(answers: readonly FoldedRiskFacts[], read: RiskFactsAfterLocks): UnitRiskFacts {
  const facts = new Map<string, RiskFacts>();
  let rulesVersion: number | undefined;
  for (const answer of answers) {
    const ask = { accountId: answer.account_id, ...(answer.payee_id ? { payeeAccountId: answer.payee_id } : {}) };
    const tail = read.tails.get(answer.account_id);
    if (!tail) throw new Error(`the claim statement read risk facts of an account it was not asked about: ${answer.account_id}`);
    const folded = factsOf(ask, answer.facts, { tail, day: read.day }, read.cache);
    if (!folded) continue;
    facts.set(riskFactsKey(answer.account_id, answer.payee_id ?? undefined), folded.facts);
    rulesVersion = folded.rulesVersion;
  }
  return { facts, rulesVersion };
}
