import { Migration } from '@mikro-orm/migrations';

/**
 * Reconciliation's state changes join the journal (issue 10 §3 lists "reconciliation
 * resolutions"; README "Auditing the journal"), one record per changed row, in the change's own
 * transaction. Ordered after both migrations because each needs the other's tables. Statement
 * lines and the match-membership rows are not journaled one by one: a line is part of its
 * import (append-only, and its file hash is in the import's record), and a match's record names
 * its run or break, whose membership rows are keyed by entry and line (matched at most once).
 */
export class Migration20261202131000_reconciliation_journal extends Migration {
  override async up(): Promise<void> {
    const journaled: ReadonlyArray<readonly [table: string, event: 'insert' | 'update', kind: string, subject: string, actor: string, money: readonly string[]]> = [
      ['statement_profiles', 'insert', 'STATEMENT_PROFILE_SAVED', 'name', '-', []],
      ['statement_imports', 'insert', 'STATEMENT_IMPORTED', 'id', 'imported_by', ['total_minor']],
      ['reconciliation_runs', 'insert', 'RECONCILIATION_STARTED', 'id', 'requested_by', []],
      ['reconciliation_runs', 'update', 'RECONCILIATION_PROGRESSED', 'id', 'requested_by', ['matched_minor', 'unmatched_ledger_minor', 'unmatched_statement_minor', 'mismatched_minor', 'net_difference_minor']],
      ['reconciliation_breaks', 'insert', 'BREAK_FOUND', 'id', '-', ['amount_minor']],
      ['reconciliation_breaks', 'update', 'BREAK_RESOLVED', 'id', 'resolved_by', ['amount_minor']],
      ['reconciliation_matches', 'insert', 'RECONCILIATION_MATCH', 'id', '-', []],
    ];
    for (const [table, event, kind, subject, actor, money] of journaled) {
      const args = [kind, subject, actor, ...money].map((arg) => `'${arg}'`).join(', ');
      this.addSql(`create trigger ${table}_journal_${event} after ${event} on ${table} referencing new table as new_rows
        for each statement execute function tally_journal_rows(${args});`);
    }
  }
}
