import sql from 'sql-template-tag';
import { LimitExceededError } from '../errors.js';
import { MAX_STATEMENT_LINES_DOWNLOAD } from '../limits.js';
import { queryStatement, toBigInt, type Database } from '../persistence/database.js';
import type { StatementLineFact } from '../statements/build-statement.js';
import type { Channel, TransactionKind } from '../types.js';
import { balanceBefore } from './balance-at.js';

/**
 * What a statement is built from (statements/build-statement.ts): the posted balance just before
 * the period and the account's history lines in it, each with its posted-layer change summed from
 * the transaction's own POSTED entries on the account (not derived from the balances, so the
 * statement's check that each balance follows from the one before can fail). Both reads use the
 * index entries_history_by_time (account, time): a month costs its own lines, not the account's life.
 */
export interface StatementLinesRead {
  readonly openingMinor: bigint;
  readonly lines: StatementLineFact[];
}

/** Read at most `maxLines` lines (LIMIT_EXCEEDED beyond: the month is too long for this door). */
export async function readStatementLines(database: Database, accountId: string, startsAt: Date, closesAt: Date, maxLines: number): Promise<StatementLinesRead | LimitExceededError> {
  const opening = await balanceBefore(database, accountId, startsAt);
  const rows = await queryStatement<{
    transaction_id: string;
    created_at: Date | string;
    kind: TransactionKind;
    channel: Channel;
    description: string | null;
    posted_change_minor: string;
    balance_after_minor: string;
    account_version: number;
  }>(
    database,
    sql`select l.transaction_id, l.created_at, t.kind, t.channel, t.description, l.balance_after_minor::text, l.account_version,
               (select coalesce(sum(case p.direction when 'CREDIT' then p.amount_minor else -p.amount_minor end), 0)
                  from entries p where p.transaction_id = l.transaction_id and p.account_id = l.account_id and p.layer = 'POSTED')::text as posted_change_minor
          from entries l join ledger_transactions t on t.id = l.transaction_id
         where l.account_id = ${accountId}::uuid and l.account_version is not null
           and l.created_at >= ${startsAt.toISOString()}::timestamptz and l.created_at < ${closesAt.toISOString()}::timestamptz
         order by l.account_version
         limit ${maxLines + 1}`,
  );
  if (rows.length > maxLines) {
    const hint = maxLines < MAX_STATEMENT_LINES_DOWNLOAD ? '; download it as CSV or PDF (GET /v1/statements/:accountId/:month.csv or .pdf)' : '';
    return new LimitExceededError(`This month has more than ${maxLines.toLocaleString('en-US')} lines, more than one statement here holds${hint}.`);
  }
  return {
    openingMinor: opening.postedMinor,
    lines: rows.map((row) => ({
      transactionId: row.transaction_id,
      at: new Date(row.created_at),
      kind: row.kind,
      channel: row.channel,
      description: row.description,
      amountMinor: toBigInt(row.posted_change_minor),
      balanceAfterMinor: toBigInt(row.balance_after_minor),
      version: row.account_version,
    })),
  };
}
