import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deposit, depositCommand } from '../../src/ledger/commands/deposit.js';
import { transfer } from '../../src/ledger/commands/transfer.js';
import { withdraw } from '../../src/ledger/commands/withdraw.js';
import { authorizeHold } from '../../src/ledger/commands/authorize-hold.js';
import { captureHold, expireHoldCommand, voidHold } from '../../src/ledger/commands/change-hold.js';
import { approveReview } from '../../src/ledger/commands/decide-review.js';
import { disputeStep, openDispute } from '../../src/ledger/commands/dispute-commands.js';
import { runCommand } from '../../src/ledger/commands/run-command.js';
import { runSystemCommands } from '../../src/ledger/system/run-system-commands.js';
import { SYSTEM_USER_ID } from '../../src/ledger/system/system-actor.js';
import { upsertRiskRule } from '../../src/ledger/risk/rule-store.js';
import { DEFAULT_AVAILABILITY_POLICY } from '../../src/ledger/decide/availability-policy.js';
import { DEFAULT_DISPUTE_POLICY } from '../../src/ledger/disputes/dispute-policy.js';
import { DEFAULT_REVIEW_TIMEOUT_MS, type RiskCheck } from '../../src/ledger/risk/judge-movement.js';
import type { Actor } from '../../src/ledger/types.js';
import { JournalStatusDocument } from '../generated/graphql.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';
import { chainCounts, verify } from '../helpers/journal.js';
import { brokenLaws } from '../helpers/laws.js';

/**
 * The journal after a bank's day (issue 10 §3), with the app's own sealer running: every state
 * change of the workload (deposits, transfers, holds with capture, void and expiry, a review
 * approved, dispute steps, a rule version, an operator's audited read) is exactly one record,
 * written by the change's own database transaction, naming who and in which request; a unit
 * rolled back leaves none. Then the chain replays whole.
 */
let t: TestApp;
let alice: TestUser;
let bob: TestUser;
let operator: TestUser;
let cash: Actor;
let card: Actor;
const RISK: RiskCheck = { calendar: DEFAULT_AVAILABILITY_POLICY.calendar, reviewTimeoutMs: DEFAULT_REVIEW_TIMEOUT_MS };

beforeAll(async () => {
  t = await startTestApp();
  [alice, bob, operator] = await Promise.all([t.user(), t.user(), t.user('OPERATOR')]);
  cash = { userId: (await t.cashier()).id, role: 'SERVICE', channels: ['CASH', 'ATM'] };
  card = { userId: (await t.user('SERVICE', { channels: ['CARD'] })).id, role: 'SERVICE', channels: ['CARD'] };
});
afterAll(() => t.close());

/** What each kind of record stands for, counted at its source: the rows (or decisions) of the table that holds the state. */
const SOURCES: Readonly<Record<string, string>> = {
  MOVEMENT: 'select count(*)::int from ledger_transactions',
  ACCOUNT_OPENED: 'select count(*)::int from accounts',
  REVIEW_REQUESTED: 'select count(*)::int from reviews',
  REVIEW_DECIDED: `select count(*)::int from reviews where status <> 'PENDING'`,
  DISPUTE_STEP: 'select count(*)::int from dispute_events',
  RULE_VERSION: 'select count(*)::int from risk_rules',
  AUDIT_EVENT: 'select count(*)::int from audit_events',
};

async function sourceCounts(): Promise<Record<string, number>> {
  const entries = await Promise.all(Object.entries(SOURCES).map(async ([kind, query]) => [kind, (await t.database.pool.query(query)).rows[0].count as number] as const));
  return Object.fromEntries(entries);
}

interface RecordRow {
  readonly kind: string;
  readonly subject: string;
  readonly actor_id: string | null;
  readonly request_id: string | null;
  /** Whether the transaction that wrote the record also wrote its subject's row (checked for movements). */
  readonly same_transaction: boolean | null;
}

/**
 * Runs one step and checks it produced exactly `expected` records, no other, and that each kind
 * rose at its source by as much. Returns the step's records and result.
 */
async function step<Result>(expected: Record<string, number>, work: () => Promise<Result>): Promise<{ result: Result; records: RecordRow[] }> {
  const before = await sourceCounts();
  const mark = (await t.database.pool.query('select coalesce(max(id), 0)::text as id from journal_records')).rows[0].id as string;
  const result = await work();
  const { rows: records } = await t.database.pool.query<RecordRow>(
    `select r.kind, r.subject, r.actor_id, r.request_id,
            case when r.kind = 'MOVEMENT' then (select (r.xid::text::numeric % 4294967296) = lt.xmin::text::numeric from ledger_transactions lt where lt.id::text = r.subject) end as same_transaction
       from journal_records r where r.id > $1::bigint order by r.id`,
    [mark],
  );
  const after = await sourceCounts();
  const byKind: Record<string, number> = {};
  for (const record of records) byKind[record.kind] = (byKind[record.kind] ?? 0) + 1;
  expect(byKind).toEqual(expected);
  const grown = Object.fromEntries(Object.keys(SOURCES).flatMap((kind) => (after[kind]! - before[kind]! > 0 ? [[kind, after[kind]! - before[kind]!]] : [])));
  expect(grown).toEqual(expected);
  for (const record of records) if (record.kind === 'MOVEMENT') expect(record.same_transaction).toBe(true);
  return { result, records };
}

const as = (user: TestUser, role: Actor['role'], requestId: string): Actor => ({ userId: user.id, role, requestId });
const within = (actor: Actor, requestId: string): Actor => ({ ...actor, requestId });
const transactionOf = (outcome: unknown): string => {
  const { transactionId } = outcome as { transactionId?: string };
  if (!transactionId) throw new Error(`nothing posted: ${JSON.stringify(outcome)}`);
  return transactionId;
};
const holdOf = (outcome: unknown): string => {
  const { holdId } = outcome as { holdId?: string };
  if (!holdId) throw new Error(`no hold: ${JSON.stringify(outcome)}`);
  return holdId;
};

describe('a bank workload: one record per state change, in the change\'s transaction', () => {
  it('money movements, holds, a review, a dispute, a rule version and an operator read each leave exactly their records; the chain replays', async () => {
    const aliceAccount = await t.account(alice, { opening: '9000.00' });
    const bobAccount = await t.account(bob);

    const deposited = await step({ MOVEMENT: 1 }, () => deposit(t.app.orm, within(cash, 'req-deposit-0001'), { accountId: aliceAccount, amount: '120.00', channel: 'CASH', idempotencyKey: randomUUID() }));
    expect(deposited.records[0]).toMatchObject({ subject: transactionOf(deposited.result.outcome), actor_id: cash.userId, request_id: 'req-deposit-0001' });

    const moved = await step({ MOVEMENT: 1 }, () => transfer(t.app.orm, as(alice, 'CUSTOMER', 'req-transfer-01'), { fromAccountId: aliceAccount, toAccountId: bobAccount, amount: '20.00', idempotencyKey: randomUUID() }));
    expect(moved.records[0]).toMatchObject({ subject: transactionOf(moved.result.outcome), actor_id: alice.id, request_id: 'req-transfer-01' });

    const hold = (expiresInSeconds: number) => authorizeHold(t.app.orm, as(alice, 'CUSTOMER', 'req-hold-0001'), { accountId: aliceAccount, amount: '10.00', channel: 'ACH', expiresInSeconds, idempotencyKey: randomUUID() });
    const captured = holdOf((await step({ MOVEMENT: 1 }, () => hold(3600))).result.outcome);
    await step({ MOVEMENT: 1 }, () => captureHold(t.app.orm, as(alice, 'CUSTOMER', 'req-capture-01'), { holdId: captured, amount: '7.00', idempotencyKey: randomUUID() }));
    const voided = holdOf((await step({ MOVEMENT: 1 }, () => hold(3600))).result.outcome);
    await step({ MOVEMENT: 1 }, () => voidHold(t.app.orm, as(alice, 'CUSTOMER', 'req-void-0001'), { holdId: voided, idempotencyKey: randomUUID() }));
    const expiring = holdOf((await step({ MOVEMENT: 1 }, () => hold(60))).result.outcome);
    const expiry = await step({ MOVEMENT: 1 }, () => runSystemCommands(t.app.orm, [expireHoldCommand(expiring)], { clock: () => new Date(Date.now() + 120_000) }));
    expect(expiry.records[0]).toMatchObject({ actor_id: SYSTEM_USER_ID });
    expect((await t.database.pool.query('select status from holds where id = any($1::uuid[]) order by status', [[captured, voided, expiring]])).rows.map((row) => row.status)).toEqual(['CAPTURED', 'EXPIRED', 'VOIDED']);

    // A wire over 5,000.00 goes to review: the review and its hold; the approval: the decision and the posting.
    const held = await step({ REVIEW_REQUESTED: 1, MOVEMENT: 1 }, () => withdraw(t.app.orm, as(alice, 'CUSTOMER', 'req-wire-0001'), { accountId: aliceAccount, amount: '6000.00', channel: 'WIRE', idempotencyKey: randomUUID() }, { risk: RISK }));
    const reviewId = (held.result.outcome as { reviewId: string }).reviewId;
    const { rows: requested } = await t.database.pool.query(`select payload from journal_records where kind = 'REVIEW_REQUESTED' and subject = $1`, [reviewId]);
    expect(JSON.parse(requested[0].payload as string)).toMatchObject({ id: reviewId, status: 'PENDING', amount_minor: '600000' });
    const approved = await step({ REVIEW_DECIDED: 1, MOVEMENT: 1 }, () => approveReview(t.app.orm, as(operator, 'OPERATOR', 'req-approve-01'), { reviewId, idempotencyKey: randomUUID(), note: 'called the customer' }));
    expect(approved.records.find((record) => record.kind === 'REVIEW_DECIDED')).toMatchObject({ subject: reviewId, actor_id: operator.id, request_id: 'req-approve-01' });

    const charged = transactionOf((await step({ MOVEMENT: 1 }, () => withdraw(t.app.orm, within(card, 'req-card-0001'), { accountId: aliceAccount, amount: '10.00', channel: 'CARD', idempotencyKey: randomUUID() }, { risk: RISK }))).result.outcome);
    const opened = await step({ DISPUTE_STEP: 1 }, () => openDispute(t.app.orm, as(alice, 'CUSTOMER', 'req-dispute-01'), { transactionId: charged, reason: 'UNAUTHORIZED', description: null, idempotencyKey: randomUUID() }, DEFAULT_DISPUTE_POLICY));
    const disputeId = (opened.result.outcome as { disputeId: string }).disputeId;
    expect(opened.records[0]).toMatchObject({ subject: disputeId, actor_id: alice.id });
    await step({ DISPUTE_STEP: 1 }, () => disputeStep(t.app.orm, 'START_INVESTIGATION', as(operator, 'OPERATOR', 'req-dispute-02'), { disputeId, note: null, idempotencyKey: randomUUID() }, DEFAULT_DISPUTE_POLICY));

    const rule = await step({ RULE_VERSION: 1 }, () =>
      upsertRiskRule(t.app.orm.em.fork(), { id: 'journal-test-rule', name: 'Journal test', condition: 'false', action: 'DENY', reason: 'a rule version for the journal test', publicMessage: 'no', priority: 9000, enabled: false, currency: null }, operator.id, new Date()),
    );
    expect(rule.records[0]).toMatchObject({ subject: 'journal-test-rule', actor_id: operator.id });

    // An operator's audited read, over HTTP: the audit line is the record, under the request's id.
    const read = await step({ AUDIT_EVENT: 1 }, async () => {
      const response = await fetch(`${t.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${operator.token}`, 'x-request-id': 'req-journal-status-1' },
        body: JSON.stringify({ query: print(JournalStatusDocument) }),
      });
      return (await response.json()) as { data?: { journalStatus: { brokenAt: number | null; lastVerified: string | null; sealedPosition: number } } };
    });
    expect(read.records[0]).toMatchObject({ actor_id: operator.id, request_id: 'req-journal-status-1' });
    expect(read.result.data?.journalStatus).toMatchObject({ brokenAt: null, lastVerified: expect.any(String) });

    // A customer is refused before anything is read or written; bad input and a rolled-back unit leave nothing.
    const refused = await step({}, () => t.gql(JournalStatusDocument, {}, alice.token));
    expect(refused.result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    await step({}, () => transfer(t.app.orm, as(alice, 'CUSTOMER', 'req-invalid-01'), { fromAccountId: aliceAccount, toAccountId: bobAccount, amount: '-1.00', idempotencyKey: randomUUID() }));
    await step({}, async () => {
      const unit = runCommand(t.app.orm, depositCommand(within(cash, 'req-rollback-1'), { accountId: aliceAccount, amount: '5.00', channel: 'CASH', idempotencyKey: randomUUID() }), {
        withinUnit: () => Promise.reject(new Error('rolled back on purpose')),
      });
      await expect(unit).rejects.toThrow('rolled back on purpose');
    });

    // The app's sealer catches up; the chain replays whole, each record once.
    const deadline = Date.now() + 20_000;
    while ((await chainCounts(t.database.pool)).unsealed > 0 && Date.now() < deadline) await sleep(100);
    const counts = await chainCounts(t.database.pool);
    expect(counts).toMatchObject({ unsealed: 0, positions: counts.total, records: counts.total, top: counts.total });
    expect(await verify(t.app.orm)).toMatchObject({ brokenAt: null, sealedPosition: counts.total });
    expect(await brokenLaws(t.database.pool)).toEqual([]);
  });

  it('a movement\'s record holds its entries, with minor units as decimal strings', async () => {
    const accountId = await t.account(alice);
    const { records, result } = await step({ MOVEMENT: 1 }, () => deposit(t.app.orm, within(cash, 'req-deposit-0002'), { accountId, amount: '12.34', channel: 'CASH', idempotencyKey: randomUUID() }));
    const { rows } = await t.database.pool.query('select payload from journal_records where kind = $1 and subject = $2', ['MOVEMENT', records[0]!.subject]);
    const payload = JSON.parse(rows[0].payload as string) as { transaction: Record<string, unknown>; entries: Array<Record<string, unknown>> };
    expect(payload.transaction).toMatchObject({ id: transactionOf(result.outcome), kind: 'DEPOSIT', amount_minor: '1234' });
    expect(payload.entries.map((entry) => [entry.direction, entry.amount_minor])).toEqual(expect.arrayContaining([['CREDIT', '1234'], ['DEBIT', '1234']]));
  });
});
