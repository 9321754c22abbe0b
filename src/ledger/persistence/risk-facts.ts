import sql from 'sql-template-tag';
import { bankingDayOf, bankingDayWindow } from '../calendar/business-days.js';
import { VELOCITY_WINDOWS, VELOCITY_WINDOW_MS, type VelocityWindow } from '../risk/features.js';
import type { CashTally, OutgoingTally, RiskFacts, RiskFactsRequest, WindowTally } from '../risk/risk-facts.js';
import type { Channel } from '../types.js';
import { queryStatement, toBigInt, type Database } from './database.js';

/**
 * The risk step's facts for each asked account (Prefetch.riskOf), one statement per account, read
 * inside the unit after its locks and clock. Every scan is bounded by time on the index
 * entries_history_by_time (account, created_at) over the customer's accounts: 7 days for the
 * velocity windows, one banking day for cash. A movement "leaves the customer" when it is a
 * withdrawal, or a transfer none of whose credits lands in an account of the customer; its
 * history line (the first customer entry, a DEBIT) is what is counted, so an approved review's
 * posting counts and its earlier hold does not.
 */

interface FactsRow {
  created_at: Date | string;
  last_activity_at: Date | string | null;
  outgoing: Array<Record<string, string>> | null;
  cash_today: Array<{ kind: 'DEPOSIT' | 'WITHDRAWAL'; currency: string; sum_minor: string }> | null;
  payee_known: boolean;
}

async function readOne(database: Database, ask: RiskFactsRequest, now: Date): Promise<RiskFacts | undefined> {
  const day = bankingDayWindow(bankingDayOf(now, ask.calendar), ask.calendar);
  const at = (window: VelocityWindow) => new Date(now.getTime() - VELOCITY_WINDOW_MS[window]).toISOString();
  const [row] = await queryStatement<FactsRow>(
    database,
    sql`with owned as (
          select account_id from user_accounts
           where user_id in (select user_id from user_accounts where account_id = ${ask.accountId}::uuid)),
        lines as (
          select t.kind, t.channel, t.currency, t.amount_minor, t.id as transaction_id, e.created_at
            from owned o
            join entries e on e.account_id = o.account_id and e.account_version is not null
                          and e.created_at > ${at('7d')}::timestamptz and e.created_at <= ${now.toISOString()}::timestamptz
            join ledger_transactions t on t.id = e.transaction_id),
        leaving as (
          select l.* from lines l
           where l.kind = 'WITHDRAWAL'
              or (l.kind = 'TRANSFER' and not exists (
                    select 1 from entries c join owned o on o.account_id = c.account_id
                     where c.transaction_id = l.transaction_id and c.direction = 'CREDIT')))
        select a.created_at,
               (select max(e.created_at) from entries e where e.account_id = a.id and e.account_version is not null) as last_activity_at,
               (select json_agg(x) from (
                  select channel, currency,
                         count(*) filter (where created_at > ${at('10m')}::timestamptz)::text as count_10m,
                         coalesce(sum(amount_minor) filter (where created_at > ${at('10m')}::timestamptz), 0)::text as sum_10m,
                         count(*) filter (where created_at > ${at('1h')}::timestamptz)::text as count_1h,
                         coalesce(sum(amount_minor) filter (where created_at > ${at('1h')}::timestamptz), 0)::text as sum_1h,
                         count(*) filter (where created_at > ${at('24h')}::timestamptz)::text as count_24h,
                         coalesce(sum(amount_minor) filter (where created_at > ${at('24h')}::timestamptz), 0)::text as sum_24h,
                         count(*)::text as count_7d, sum(amount_minor)::text as sum_7d
                    from leaving group by channel, currency) x) as outgoing,
               (select json_agg(y) from (
                  select t.kind, t.currency, sum(t.amount_minor)::text as sum_minor
                    from owned o
                    join entries e on e.account_id = o.account_id and e.account_version is not null
                                  and e.created_at >= ${day.startsAt.toISOString()}::timestamptz and e.created_at < ${day.endsAt.toISOString()}::timestamptz
                    join ledger_transactions t on t.id = e.transaction_id
                   where t.channel = 'CASH' and t.kind in ('DEPOSIT', 'WITHDRAWAL')
                   group by t.kind, t.currency) y) as cash_today,
               (${ask.payeeAccountId ?? null}::uuid is not null and exists (
                  select 1 from entries c join ledger_transactions t on t.id = c.transaction_id
                   where c.account_id = ${ask.payeeAccountId ?? null}::uuid and c.direction = 'CREDIT' and t.kind = 'TRANSFER'
                     and exists (select 1 from entries d join owned o on o.account_id = d.account_id
                                  where d.transaction_id = t.id and d.direction = 'DEBIT'))) as payee_known
          from accounts a where a.id = ${ask.accountId}::uuid`,
  );
  if (!row) return undefined;
  return {
    accountId: ask.accountId,
    openedAt: new Date(row.created_at),
    lastActivityAt: row.last_activity_at === null ? null : new Date(row.last_activity_at),
    outgoing: (row.outgoing ?? []).map(outgoingOf),
    cashToday: (row.cash_today ?? []).map((cash): CashTally => ({ kind: cash.kind, currency: cash.currency.trim(), sumMinor: toBigInt(cash.sum_minor) })),
    payeeKnown: row.payee_known,
  };
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

/** The facts of every asked account, by riskFactsKey; an account that does not exist is absent. */
export async function readRiskFacts(database: Database, asks: readonly RiskFactsRequest[], now: Date): Promise<Map<string, RiskFacts>> {
  const facts = new Map<string, RiskFacts>();
  for (const ask of asks) {
    const key = riskFactsKey(ask.accountId, ask.payeeAccountId);
    if (facts.has(key)) continue;
    const read = await readOne(database, ask, now);
    if (read) facts.set(key, read);
  }
  return facts;
}
