import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DepositDocument,
  ImportStatementDocument,
  ReconcileDocument,
  ReconciliationDocument,
  ReconciliationsDocument,
  ResolveBreakDocument,
  SaveStatementProfileDocument,
  StatementProfilesDocument,
  type BreakAction,
} from '../generated/graphql.js';
import { dataOf } from '../helpers/graphql-client.js';
import { brokenLaws } from '../helpers/laws.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';
import { DEFAULT_BANK_CALENDAR } from '../../src/ledger/calendar/business-days.js';
import { localDateOf } from '../../src/ledger/reconciliation/break-deadline.js';
import { DEFAULT_MATCH_CONFIG } from '../../src/ledger/reconciliation/strategies.js';
import { reconcile, replayRun } from '../../src/ledger/commands/reconcile.js';

/** Reconciliation (issue 10 §1) on real PostgreSQL: import, match, report, resolve. */
let t: TestApp;
let operator: TestUser;
let achService: TestUser;
let alice: TestUser;

beforeAll(async () => {
  t = await startTestApp();
  [operator, achService, alice] = await Promise.all([t.user('OPERATOR'), t.user('SERVICE', { channels: ['ACH'] }), t.user()]);
});
afterAll(() => t.close());

/** Today in the bank's zone: the booking date of the deposits these tests make. */
const today = () => localDateOf(new Date(), DEFAULT_BANK_CALENDAR);

async function achDeposit(accountId: string, amount: string, externalRef: string | null = null) {
  const result = dataOf(await t.gql(DepositDocument, { input: { accountId, amount, channel: 'ACH', externalRef, idempotencyKey: randomUUID() } }, achService.token)).deposit;
  if (result.__typename !== 'MoneyMovement') throw new Error(JSON.stringify(result));
  return result.transaction.id;
}

function csv(currency: string, rows: ReadonlyArray<readonly [string, string, string, string]>): string {
  return ['date,amount,direction,reference,description,currency', ...rows.map(([date, amount, direction, reference]) => `${date},${amount},${direction},${reference},ACH settlement,${currency}`)].join('\n') + '\n';
}

const importIt = (content: string, options: { token?: string; key?: string; format?: 'CSV' | 'JSONL' } = {}) =>
  t.gql(ImportStatementDocument, { input: { channel: 'ACH', format: options.format ?? 'CSV', content, idempotencyKey: options.key ?? randomUUID() } }, options.token ?? operator.token).then((response) => dataOf(response).importStatement);
const reconcileIt = (statementId: string, options: { token?: string; key?: string } = {}) =>
  t.gql(ReconcileDocument, { input: { statementId, idempotencyKey: options.key ?? randomUUID() } }, options.token ?? operator.token).then((response) => dataOf(response).reconcile);
const resolveIt = (breakId: string, action: BreakAction, options: { entryIds?: string[]; reason?: string; token?: string; key?: string } = {}) =>
  t
    .gql(ResolveBreakDocument, { input: { breakId, action, entryIds: options.entryIds ?? null, reason: options.reason ?? null, idempotencyKey: options.key ?? randomUUID() } }, options.token ?? operator.token)
    .then((response) => dataOf(response).resolveBreak);

async function imported(content: string) {
  const result = await importIt(content);
  if (result.__typename !== 'StatementImport') throw new Error(JSON.stringify(result));
  return result;
}

async function completedRun(statementId: string) {
  const run = await reconcileIt(statementId);
  if (run.__typename !== 'ReconciliationRun') throw new Error(JSON.stringify(run));
  return run;
}

const lineCount = async () => Number((await t.database.pool.query(`select count(*) from statement_lines`)).rows[0].count);

describe('importing statements', () => {
  it('imports a CSV, and the same file again is a replay of that import (file hash), concurrently too', async () => {
    const content = csv('JPY', [[today(), '1000', 'CREDIT', 'J-1'], [today(), '250', 'DEBIT', 'J-2']]);
    const results = await Promise.all([1, 2, 3, 4].map(() => importIt(content)));
    const statements = results.map((result) => (result.__typename === 'StatementImport' ? result : undefined));
    expect(statements.every((statement) => statement?.id === statements[0]?.id)).toBe(true);
    expect(statements.filter((statement) => statement && !statement.replayed)).toHaveLength(1);
    expect(statements[0]).toMatchObject({ channel: 'ACH', lines: 2, currency: 'JPY', total: '750', from: `${today()}T00:00:00.000Z` });
    const rows = (await t.database.pool.query(`select count(*)::int as imports, (select count(*)::int from statement_lines l where l.statement_id = any(array_agg(s.id))) as lines from statement_imports s where s.currency = 'JPY'`)).rows[0];
    expect(rows).toEqual({ imports: 1, lines: 2 });
  });

  it('refuses the whole file at a malformed line, naming it; nothing is imported', async () => {
    const before = await lineCount();
    const content = `${csv('USD', [[today(), '10.00', 'CREDIT', 'M-1']])}${today()},ten,CREDIT,M-2,x,USD\n${today()},5.00,CREDIT,M-3,x,USD\n`;
    const result = await importIt(content);
    expect(result).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION', field: 'content' });
    expect(result.__typename === 'ValidationError' && result.message).toContain('Line 3');
    const wrongDirection = await importIt(csv('USD', [[today(), '10.00', 'SIDEWAYS', 'M-4']]));
    expect(wrongDirection.__typename === 'ValidationError' && wrongDirection.message).toContain('Line 2');
    const jsonl = await importIt(`{"date":"${today()}","amount":"1.00","direction":"CREDIT"}\nnot json\n`, { format: 'JSONL' });
    expect(jsonl.__typename === 'ValidationError' && jsonl.message).toContain('Line 2');
    expect(await lineCount()).toBe(before);
  });

  it('reads a bank\'s own columns through a stored profile, over the streamed REST door', async () => {
    const body = `Booking Date,Amount,Dr/Cr,Trace Number,Narrative,Currency\n${today()},12.50,CR,T-1,Payroll,CHF\n${today()},2.50,DR,T-2,Fee,CHF\n`;
    const post = (token: string) =>
      fetch(`${t.url}/v1/reconciliation/statements?channel=ACH&profile=bank-export`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' }, body });
    const response = await post(operator.token);
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ channel: 'ACH', profile: 'bank-export', lines: 2, currency: 'CHF', total: '10.00', replayed: false });
    const again = await post(operator.token);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ replayed: true });
    expect((await post(alice.token)).status).toBe(403);
    expect((await post(achService.token)).status).toBe(403);
    expect((await fetch(`${t.url}/v1/reconciliation/statements?channel=ACH`, { method: 'POST', body })).status).toBe(401);
    const malformed = await fetch(`${t.url}/v1/reconciliation/statements?channel=ACH&format=JSONL`, {
      method: 'POST',
      headers: { authorization: `Bearer ${operator.token}` },
      body: `{"date":"${today()}","amount":"1.00","direction":"CR","currency":"CHF"}\n{"date":"someday","amount":"1.00","direction":"CR"}\n`,
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { code: 'VALIDATION', message: expect.stringContaining('Line 2') } });
  });
});

describe('statement profiles', () => {
  it('an operator saves a profile, and a file in that layout imports with it (signed amounts, no direction column); others are refused', async () => {
    const input = { name: 'signed-export', columns: { date: 'Value Date', amount: 'Net', reference: 'Ref' }, defaultCurrency: 'AUD' };
    const saved = dataOf(await t.gql(SaveStatementProfileDocument, { input }, operator.token)).saveStatementProfile;
    expect(saved).toMatchObject({ __typename: 'StatementProfile', name: 'signed-export', columns: { date: 'Value Date', amount: 'Net', direction: null }, defaultCurrency: 'AUD' });
    const listed = dataOf(await t.gql(StatementProfilesDocument, {}, operator.token)).statementProfiles.map((profile) => profile.name);
    expect(listed).toEqual(['bank-export', 'default', 'signed-export']);
    const result = dataOf(
      await t.gql(ImportStatementDocument, { input: { channel: 'ACH', format: 'CSV', profile: 'signed-export', content: `Value Date,Net,Ref\n${today()},-3.50,S-1\n${today()},10.00,S-2\n`, idempotencyKey: randomUUID() } }, operator.token),
    ).importStatement;
    expect(result).toMatchObject({ __typename: 'StatementImport', lines: 2, currency: 'AUD', total: '6.50' });
    const both = dataOf(await t.gql(SaveStatementProfileDocument, { input: { ...input, creditWords: ['IN'], debitWords: ['in'] } }, operator.token)).saveStatementProfile;
    expect(both).toMatchObject({ __typename: 'ValidationError', field: 'debitWords' });
    expect(dataOf(await t.gql(SaveStatementProfileDocument, { input }, alice.token)).saveStatementProfile).toMatchObject({ __typename: 'ForbiddenError' });
    expect((await t.gql(StatementProfilesDocument, {}, achService.token)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('reconciling and resolving', () => {
  it('reports matches, mismatches, both sides\' unmatched and the net difference; resolutions match, adjust against SUSPENSE, or wait', async () => {
    const accountId = await t.account(alice, { currency: 'EUR' });
    await achDeposit(accountId, '100.00', 'ACH-1');
    await achDeposit(accountId, '50.00');
    await achDeposit(accountId, '20.00', 'ACH-3');
    await achDeposit(accountId, '30.00', 'P-a');
    await achDeposit(accountId, '30.00', 'P-b');
    await achDeposit(accountId, '45.00', 'ORPHAN');
    const statement = await imported(
      csv('EUR', [[today(), '100.00', 'CREDIT', 'ACH-1'], [today(), '50.00', 'CREDIT', ''], [today(), '25.00', 'CREDIT', 'ACH-3'], [today(), '75.00', 'CREDIT', 'ACH-9'], [today(), '60.00', 'CREDIT', 'PAYROLL-60']]),
    );
    const run = await completedRun(statement.id);
    expect(run).toMatchObject({
      status: 'COMPLETED',
      linesTotal: 5,
      linesDone: 5,
      progress: 1,
      matched: { count: 2, total: '150.00' },
      mismatched: { count: 1, total: '5.00' },
      unmatchedStatement: { count: 2, total: '135.00' },
      unmatchedLedger: { count: 3, total: '105.00' },
      netDifference: '35.00',
    });
    const breaks = run.breaks.edges.map((edge) => edge.node);
    const byLine = (reference: string) => breaks.find((item) => item.statementLine?.endsWith(`ref ${reference}`))!;
    const ledgerBreaks = breaks.filter((item) => item.kind === 'UNMATCHED_LEDGER');
    expect(byLine('ACH-3')).toMatchObject({ kind: 'MISMATCHED', amount: '5.00', status: 'OPEN', lineNumber: 4 });
    expect(ledgerBreaks.map((item) => item.amount).sort()).toEqual(['30.00', '30.00', '45.00']);

    // MATCH by hand: the payroll line with the two 30.00 entries.
    const thirties = ledgerBreaks.filter((item) => item.amount === '30.00').flatMap((item) => item.entryIds);
    const wrongSum = await resolveIt(byLine('PAYROLL-60').id, 'MATCH', { entryIds: thirties.slice(0, 1) });
    expect(wrongSum).toMatchObject({ __typename: 'ValidationError', field: 'entryIds' });
    expect(await resolveIt(byLine('PAYROLL-60').id, 'MATCH', { entryIds: thirties })).toMatchObject({ __typename: 'ReconciliationBreak', status: 'MATCHED' });

    // ADJUST needs a reason, then posts the difference against SUSPENSE.
    expect(await resolveIt(byLine('ACH-9').id, 'ADJUST')).toMatchObject({ __typename: 'ValidationError', field: 'reason' });
    const adjusted = await resolveIt(byLine('ACH-9').id, 'ADJUST', { reason: 'Rail credit not yet booked; investigating' });
    expect(adjusted).toMatchObject({ __typename: 'ReconciliationBreak', status: 'ADJUSTED', reason: 'Rail credit not yet booked; investigating' });
    const transactionId = adjusted.__typename === 'ReconciliationBreak' ? adjusted.adjustmentTransactionId : null;
    const legs = (
      await t.database.pool.query(
        `select a.internal_code, e.direction, e.amount_minor::text as amount, t.kind from entries e join accounts a on a.id = e.account_id join ledger_transactions t on t.id = e.transaction_id
          where e.transaction_id = $1 order by a.internal_code`,
        [transactionId],
      )
    ).rows;
    expect(legs).toEqual([
      { internal_code: 'SETTLEMENT_ACH', direction: 'DEBIT', amount: '7500', kind: 'ADJUSTMENT' },
      { internal_code: 'SUSPENSE', direction: 'CREDIT', amount: '7500', kind: 'ADJUSTMENT' },
    ]);
    expect(await brokenLaws(t.database.pool)).toEqual([]);

    // EXPECT_LATER: the orphan entry waits for a later statement; a mismatch cannot wait.
    const orphan = ledgerBreaks.find((item) => item.amount === '45.00')!;
    expect(await resolveIt(orphan.id, 'EXPECT_LATER', { reason: 'Next ACH file' })).toMatchObject({ status: 'EXPECTED' });
    expect(await resolveIt(byLine('ACH-3').id, 'EXPECT_LATER')).toMatchObject({ __typename: 'ValidationError', field: 'action' });

    // Concurrent resolutions of one break: one adjustment, the rest refused.
    const racing = await Promise.all([1, 2, 3].map(() => resolveIt(byLine('ACH-3').id, 'ADJUST', { reason: 'Rail fee' })));
    expect(racing.filter((result) => result.__typename === 'ReconciliationBreak')).toHaveLength(1);
    expect(racing.filter((result) => result.__typename === 'ValidationError')).toHaveLength(2);
    const adjustments = (await t.database.pool.query(`select count(*)::int as count from reconciliation_breaks b join ledger_transactions t on t.id = b.adjustment_transaction_id where b.id = $1`, [byLine('ACH-3').id])).rows[0];
    expect(adjustments.count).toBe(1);
    expect(await brokenLaws(t.database.pool)).toEqual([]);

    // The journal holds one BREAK_RESOLVED record per resolution, by the operator: the race's
    // refused resolutions wrote none (their units rolled back with their records).
    const resolvedRecords = (
      await t.database.pool.query(
        `select subject, actor_id, payload::jsonb ->> 'status' as status from journal_records where kind = 'BREAK_RESOLVED' and subject = any($1::text[]) order by subject`,
        [[byLine('ACH-3').id, byLine('ACH-9').id, byLine('PAYROLL-60').id, orphan.id]],
      )
    ).rows;
    expect(resolvedRecords.map((row) => row.status).sort()).toEqual(['ADJUSTED', 'ADJUSTED', 'EXPECTED', 'MATCHED']);
    expect(new Set(resolvedRecords.map((row) => row.actor_id))).toEqual(new Set([operator.id]));

    // A second run of the statement: every line is matched now; only the expected entry is left.
    const second = await completedRun(statement.id);
    expect(second).toMatchObject({ linesTotal: 0, matched: { count: 0 }, unmatchedLedger: { count: 1, total: '45.00' }, unmatchedStatement: { count: 0 } });

    // The report reads the same as the run, a page at a time.
    const report = dataOf(await t.gql(ReconciliationDocument, { id: run.id, first: 2 }, operator.token)).reconciliation!;
    expect(report.netDifference).toBe('35.00');
    expect(report.breaks.edges).toHaveLength(2);
    expect(report.breaks.pageInfo.hasNextPage).toBe(true);
    const rest = dataOf(await t.gql(ReconciliationDocument, { id: run.id, first: 100, after: report.breaks.pageInfo.endCursor }, operator.token)).reconciliation!;
    expect(new Set([...report.breaks.edges, ...rest.breaks.edges].map((edge) => edge.node.id)).size).toBe(breaks.length);
    const listed = dataOf(await t.gql(ReconciliationsDocument, { channel: 'ACH', first: 10 }, operator.token)).reconciliations;
    expect(listed.edges.map((edge) => edge.node.id)).toEqual(expect.arrayContaining([run.id, second.id]));
  });

  it('matches every entry and line at most once: the database refuses a second match', async () => {
    const [row] = (await t.database.pool.query(`select entry_id::text from reconciliation_matched_entries limit 1`)).rows;
    expect(row).toBeDefined();
    await expect(
      t.database.pool.query(
        `with m as (insert into reconciliation_matches (id, strategy, created_at) values (gen_random_uuid(), 'MANUAL', now()) returning id)
         insert into reconciliation_matched_entries (entry_id, match_id) select $1::bigint, id from m`,
        [row.entry_id],
      ),
    ).rejects.toMatchObject({ code: '23505' });
  });

  it('gives customers and services FORBIDDEN and nothing else', async () => {
    const statement = await imported(csv('GBP', [[today(), '1.00', 'CREDIT', 'F-1']]));
    const run = await completedRun(statement.id);
    const breakId = run.breaks.edges[0]!.node.id;
    for (const user of [alice, achService]) {
      expect(await importIt(csv('GBP', [[today(), '2.00', 'CREDIT', 'F-2']]), { token: user.token })).toMatchObject({ __typename: 'ForbiddenError' });
      expect(await reconcileIt(statement.id, { token: user.token })).toMatchObject({ __typename: 'ForbiddenError' });
      expect(await resolveIt(breakId, 'ADJUST', { reason: 'x', token: user.token })).toMatchObject({ __typename: 'ForbiddenError' });
      const read = await t.gql(ReconciliationDocument, { id: run.id }, user.token);
      expect(read.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(read.data?.reconciliation ?? null).toBeNull();
      const list = await t.gql(ReconciliationsDocument, {}, user.token);
      expect(list.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    const untouched = (await t.database.pool.query(`select status from reconciliation_breaks where id = $1`, [breakId])).rows[0];
    expect(untouched.status).toBe('OPEN');
    // An operator's bad page size or cursor is VALIDATION in words, not an internal error.
    for (const variables of [{ first: 100_000 }, { after: 'not-a-cursor' }]) {
      const refused = await t.gql(ReconciliationsDocument, variables, operator.token);
      expect(refused.errors?.[0]?.extensions?.code, JSON.stringify(refused.errors)).toBe('VALIDATION');
    }
  });
});

describe('runs', () => {
  it('two concurrent runs of one statement match each line once between them; breaks found long ago are overdue and listed first', async () => {
    const accountId = await t.account(alice, { currency: 'CAD' });
    for (const [amount, reference] of [['10.00', 'C-1'], ['20.00', 'C-2'], ['30.00', 'C-3']] as const) await achDeposit(accountId, amount, reference);
    const statement = await imported(csv('CAD', [[today(), '10.00', 'CREDIT', 'C-1'], [today(), '20.00', 'CREDIT', 'C-2'], [today(), '30.00', 'CREDIT', 'C-3'], [today(), '99.00', 'CREDIT', 'C-9']]));
    const runs = await Promise.all([1, 2].map(() => reconcileIt(statement.id)));
    const completed = runs.map((run) => (run.__typename === 'ReconciliationRun' ? run : undefined));
    expect(completed.every((run) => run?.status === 'COMPLETED')).toBe(true);
    expect(completed.reduce((sum, run) => sum + (run?.matched.count ?? 0), 0)).toBe(3);
    const matchedLines = (await t.database.pool.query(`select count(*)::int as count from reconciliation_matched_lines m join statement_lines l on l.id = m.line_id where l.statement_id = $1`, [statement.id])).rows[0];
    expect(matchedLines.count).toBe(3);

    // Reproducible: each run's recorded inputs, matched again, give its stored matches and totals.
    for (const run of completed) {
      const replayed = (await replayRun(t.app.orm, run!.id, DEFAULT_BANK_CALENDAR))!;
      const stored = (
        await t.database.pool.query(
          `select coalesce((select array_agg(line_id::text order by line_id) from reconciliation_matched_lines where match_id = m.id), '{}') as lines,
                  coalesce((select array_agg(entry_id::text order by entry_id) from reconciliation_matched_entries where match_id = m.id), '{}') as entries
             from reconciliation_matches m where m.run_id = $1`,
          [run!.id],
        )
      ).rows.map((row) => `${row.lines.join(',')} -> ${row.entries.join(',')}`).sort();
      expect(replayed.matches.map((match) => `${[...match.lineIds].sort().join(',')} -> ${[...match.entryIds].sort().join(',')}`).sort()).toEqual(stored);
      expect(replayed.unmatchedStatement.count).toBe(run!.unmatchedStatement.count);
      expect(replayed.unmatchedLedger.count).toBe(run!.unmatchedLedger.count);
    }

    // A run recorded a week ago (its clock is an argument): its open break is past RECONCILIATION_SLA.
    const weekAgo = new Date(Date.now() - 7 * 86_400_000);
    const policy = { match: DEFAULT_MATCH_CONFIG, slaBusinessDays: 2, calendar: DEFAULT_BANK_CALENDAR };
    const old = await reconcile(t.app.orm, { userId: operator.id, role: 'OPERATOR' }, { statementId: statement.id, idempotencyKey: randomUUID() }, policy, () => Promise.resolve(), weekAgo);
    if (!('run' in old)) throw new Error(JSON.stringify(old));
    const report = dataOf(await t.gql(ReconciliationDocument, { id: old.run.id, first: 10 }, operator.token)).reconciliation!;
    expect(report.breaks.edges.map((edge) => [edge.node.statementLine?.endsWith('ref C-9'), edge.node.overdue])).toEqual([[true, true]]);
    const audits = (await t.database.pool.query(`select action, count(*)::int as count from audit_events where action like 'operator.%' and action in ('operator.import_statement', 'operator.reconcile', 'operator.resolve_break') group by action order by action`)).rows;
    expect(audits.map((row) => row.action)).toEqual(['operator.import_statement', 'operator.reconcile', 'operator.resolve_break']);
  });
});

describe('progress', () => {
  it('a run over 10,000 lines reports its progress as it reads, committed page by page, then completes', { timeout: 120_000 }, async () => {
    // Behind the app's back: every change of a run's progress is logged with the status it had.
    await t.database.pool.query(`create table run_progress_log (lines_done integer, status text)`);
    await t.database.pool.query(`create function log_run_progress() returns trigger language plpgsql as $$
      begin insert into run_progress_log values (new.lines_done, new.status); return new; end $$`);
    await t.database.pool.query(`create trigger run_progress after update on reconciliation_runs for each row execute function log_run_progress()`);
    const rows = Array.from({ length: 12_000 }, (_unused, index) => [today(), `${index + 1}.00`, 'CREDIT', `N-${index}`] as const);
    const statement = await imported(csv('NOK', rows));
    const run = await completedRun(statement.id);
    expect(run).toMatchObject({ linesTotal: 12_000, linesDone: 12_000, progress: 1, unmatchedStatement: { count: 12_000 } });
    const log = (await t.database.pool.query(`select lines_done, status from run_progress_log`)).rows;
    expect(log).toEqual([
      { lines_done: 5_000, status: 'RUNNING' },
      { lines_done: 10_000, status: 'RUNNING' },
      { lines_done: 12_000, status: 'RUNNING' },
      { lines_done: 12_000, status: 'COMPLETED' },
    ]);
  });
});
