import sql from 'sql-template-tag';
import type { BreakSnapshot, EntryFact } from '../reconciliation/break-snapshot.js';
import { internalAccountCode } from '../decide/internal-accounts.js';
import type { Channel } from '../types.js';
import { queryStatement, toBigInt, type Database } from './database.js';

interface BreakRow {
  id: string;
  run_id: string;
  kind: BreakSnapshot['kind'];
  status: BreakSnapshot['status'];
  channel: Channel;
  currency: string;
  currency_exponent: number;
  settlement_account_id: string | null;
  line_id: string | null;
  line_matched: boolean;
  entry_ids: string[];
  entries_matched: boolean;
  amount_minor: string;
}

/**
 * Locks the breaks a unit's commands name (FOR UPDATE, in id order) before anything else: two
 * resolutions of one break queue here, and the second sees the first one's status.
 */
export async function lockBreaks(database: Database, breakIds: readonly string[]): Promise<BreakSnapshot[]> {
  if (breakIds.length === 0) return [];
  const rows = await queryStatement<BreakRow>(
    database,
    sql`select b.id, b.run_id, b.kind, b.status, r.channel, s.currency, s.currency_exponent,
               (select a.id from accounts a where a.holder = 'INTERNAL' and a.currency = s.currency and a.currency_exponent = s.currency_exponent
                   and a.internal_code = case r.channel when 'CASH' then 'CASH_VAULT' else 'SETTLEMENT_' || r.channel end) as settlement_account_id,
               b.line_id, exists (select 1 from reconciliation_matched_lines m where m.line_id = b.line_id) as line_matched,
               b.entry_ids::text[] as entry_ids,
               exists (select 1 from reconciliation_matched_entries m where m.entry_id = any(b.entry_ids)) as entries_matched,
               b.amount_minor::text as amount_minor
          from reconciliation_breaks b join reconciliation_runs r on r.id = b.run_id join statement_imports s on s.id = r.statement_id
         where b.id = any(${`{${breakIds.join(',')}}`}::uuid[])
         order by b.id
           for update of b`,
  );
  return rows.map((row) => ({
    id: row.id,
    runId: row.run_id,
    kind: row.kind,
    status: row.status,
    channel: row.channel,
    currency: row.currency,
    currencyExponent: row.currency_exponent,
    settlementAccountId: row.settlement_account_id ?? '',
    lineId: row.line_id,
    lineMatched: row.line_matched,
    entryIds: row.entry_ids,
    entriesMatched: row.entries_matched,
    amountMinor: toBigInt(row.amount_minor),
  }));
}

/** Entries named by their public ids, signed from the bank's side of a settlement account. */
export async function readEntryFacts(database: Database, publicIds: readonly string[]): Promise<EntryFact[]> {
  if (publicIds.length === 0) return [];
  const rows = await queryStatement<{ id: string; public_id: string; account_id: string; signed_minor: string; matched: boolean }>(
    database,
    sql`select e.id::text as id, e.public_id, e.account_id, (case e.direction when 'DEBIT' then e.amount_minor else -e.amount_minor end)::text as signed_minor,
               exists (select 1 from reconciliation_matched_entries m where m.entry_id = e.id) as matched
          from entries e where e.public_id = any(${`{${publicIds.join(',')}}`}::uuid[]) and e.layer = 'POSTED'`,
  );
  return rows.map((row) => ({ id: row.id, publicId: row.public_id, accountId: row.account_id, amountMinor: toBigInt(row.signed_minor), matched: row.matched }));
}

/** The settlement entry an adjustment wrote: it is matched with the break it resolves. */
export async function settlementEntryOf(database: Database, transactionId: string, channel: Channel): Promise<string> {
  const [row] = await queryStatement<{ id: string }>(
    database,
    sql`select e.id::text as id from entries e join accounts a on a.id = e.account_id
         where e.transaction_id = ${transactionId}::uuid and a.internal_code = ${internalAccountCode(channel)} limit 1`,
  );
  if (!row) throw new Error(`adjustment ${transactionId} has no settlement entry`);
  return row.id;
}
