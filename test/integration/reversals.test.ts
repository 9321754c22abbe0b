import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthorizeHoldDocument,
  BalanceDocument,
  CaptureHoldDocument,
  DepositDocument,
  HistoryDocument,
  ReverseTransactionDocument,
  TransactionDocument,
  TransactionLinksDocument,
  TransferDocument,
  VoidHoldDocument,
  WithdrawDocument,
} from '../generated/graphql.js';
import { dataOf } from '../helpers/graphql-client.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';
import { openSocket, subscribe } from '../helpers/ws-client.js';
import { runCommands } from '../../src/ledger/commands/run-command.js';
import { reverseTransactionCommand } from '../../src/ledger/commands/reverse-transaction.js';
import { readReversalOriginal } from '../../src/ledger/queries/reversal-original.js';

let t: TestApp;
let alice: TestUser;
let bob: TestUser;
let teller: TestUser;

beforeAll(async () => {
  t = await startTestApp();
  [alice, bob, teller] = await Promise.all([t.user(), t.user(), t.user('OPERATOR')]);
});
afterAll(() => t.close());

const reverse = (transactionId: string, token = teller.token, idempotencyKey: string = randomUUID(), reason = 'posted to the wrong account') =>
  t.gql(ReverseTransactionDocument, { input: { transactionId, reason, idempotencyKey } }, token);

async function reversed(transactionId: string, reason?: string) {
  const result = dataOf(await reverse(transactionId, teller.token, randomUUID(), reason)).reverseTransaction;
  if (result.__typename !== 'MoneyMovement') throw new Error(`reversal refused: ${JSON.stringify(result)}`);
  return result;
}
/** A cash deposit at the teller's window (an operator sees every entry's account, as the reversal will). */
async function depositTo(accountId: string, amount: string, token?: string) {
  const result = dataOf(await t.gql(DepositDocument, { input: { accountId, amount, channel: 'CASH', idempotencyKey: randomUUID() } }, token ?? teller.token)).deposit;
  if (result.__typename !== 'MoneyMovement') throw new Error(JSON.stringify(result));
  return result;
}
const balanceOf = async (accountId: string, token = alice.token) => dataOf(await t.gql(BalanceDocument, { accountId }, token)).balance;
const links = async (id: string, token = teller.token) => dataOf(await t.gql(TransactionLinksDocument, { id }, token)).transaction;

/** The entries as (account, direction, amount), sorted: a reversal's are the original's with directions swapped. */
function flipped(entries: ReadonlyArray<{ accountId?: string | null; direction: string; amount: string }>) {
  return entries.map((entry) => `${entry.accountId}:${entry.direction === 'DEBIT' ? 'CREDIT' : 'DEBIT'}:${entry.amount}`).sort();
}
const shapes = (entries: ReadonlyArray<{ accountId?: string | null; direction: string; amount: string }>) =>
  entries.map((entry) => `${entry.accountId}:${entry.direction}:${entry.amount}`).sort();

describe('reverseTransaction posts the exact opposite entries, linked both ways', () => {
  it('reverses a deposit: balance back, one new version, history line, status REVERSED through the link', async () => {
    const accountId = await t.account(alice);
    const deposit = await depositTo(accountId, '40.00');
    const reversal = await reversed(deposit.transaction.id, 'duplicate cash deposit');
    expect(reversal.transaction).toMatchObject({ kind: 'REVERSAL', channel: 'CASH', status: 'POSTED', amount: '40.00', description: 'duplicate cash deposit' });
    expect(reversal.transaction.reverses).toEqual({ id: deposit.transaction.id, status: 'REVERSED' });
    expect(shapes(reversal.transaction.entries)).toEqual(flipped(deposit.transaction.entries));
    expect(reversal.balances).toEqual([expect.objectContaining({ accountId, posted: '0.00', available: '0.00', version: 2 })]);

    expect(await links(deposit.transaction.id)).toMatchObject({ status: 'REVERSED', reverses: null, reversedBy: { id: reversal.transaction.id, kind: 'REVERSAL' } });
    // The customer sees the link too: the reversal touched the same account.
    expect(await links(deposit.transaction.id, alice.token)).toMatchObject({ status: 'REVERSED', reversedBy: { id: reversal.transaction.id } });
    expect(await links(reversal.transaction.id, alice.token)).toMatchObject({ kind: 'REVERSAL', reverses: { id: deposit.transaction.id, status: 'REVERSED' }, reversedBy: null });

    const history = dataOf(await t.gql(HistoryDocument, { accountId, first: 5 }, alice.token)).transactions;
    expect(history.edges.map((edge) => [edge.node.version, edge.node.amount, edge.node.balanceAfter, edge.node.transaction.kind, edge.node.transaction.status])).toEqual([
      [2, '-40.00', '0.00', 'REVERSAL', 'POSTED'],
      [1, '40.00', '40.00', 'DEPOSIT', 'REVERSED'],
    ]);
  });

  it('reverses a withdrawal', async () => {
    const accountId = await t.account(alice, { opening: '100.00' });
    const withdrawal = dataOf(await t.gql(WithdrawDocument, { input: { accountId, amount: '30.00', channel: 'ACH', idempotencyKey: randomUUID() } }, alice.token)).withdraw;
    if (withdrawal.__typename !== 'MoneyMovement') throw new Error(JSON.stringify(withdrawal));
    const reversal = await reversed(withdrawal.transaction.id);
    expect(shapes(reversal.transaction.entries)).toEqual(flipped(withdrawal.transaction.entries));
    expect(await balanceOf(accountId)).toMatchObject({ posted: '100.00', version: 3 });
  });

  it('reverses a WIRE withdrawal with its fee: all three entries', async () => {
    const accountId = await t.account(alice, { opening: '500.00' });
    const wire = dataOf(await t.gql(WithdrawDocument, { input: { accountId, amount: '100.00', channel: 'WIRE', idempotencyKey: randomUUID() } }, alice.token)).withdraw;
    if (wire.__typename !== 'MoneyMovement') throw new Error(JSON.stringify(wire));
    expect(wire.transaction.entries).toHaveLength(3);
    expect(await balanceOf(accountId)).toMatchObject({ posted: '375.00' });
    const reversal = await reversed(wire.transaction.id);
    expect(reversal.transaction.entries).toHaveLength(3);
    expect(shapes(reversal.transaction.entries)).toEqual(flipped(wire.transaction.entries));
    expect(reversal.transaction.amount).toBe('100.00');
    expect(await balanceOf(accountId)).toMatchObject({ posted: '500.00', version: 3 });
  });

  it('reverses a transfer on both customer sides, one version each', async () => {
    const from = await t.account(alice, { opening: '80.00' });
    const to = await t.account(bob);
    const transfer = dataOf(await t.gql(TransferDocument, { input: { fromAccountId: from, toAccountId: to, amount: '25.00', idempotencyKey: randomUUID() } }, alice.token)).transfer;
    if (transfer.__typename !== 'MoneyMovement') throw new Error(JSON.stringify(transfer));
    const reversal = await reversed(transfer.transaction.id);
    // Alice's view hides the payee's account; the operator's shows both sides.
    const original = dataOf(await t.gql(TransactionDocument, { id: transfer.transaction.id }, teller.token)).transaction;
    expect(shapes(reversal.transaction.entries)).toEqual(flipped(original?.entries ?? []));
    expect(reversal.transaction.entries.map((entry) => entry.accountId)).toEqual(expect.arrayContaining([from, to]));
    // Operators see both sides' balances.
    expect(reversal.balances.map((balance) => [balance.accountId, balance.posted, balance.version]).sort()).toEqual(
      [[from, '80.00', 3], [to, '0.00', 2]].sort(),
    );
    expect(await balanceOf(to, bob.token)).toMatchObject({ posted: '0.00', version: 2 });
  });
});

describe('reversing a card capture refunds what it posted; the hold is left as the capture left it', () => {
  /** Alice's fresh account of 100.00 with one CARD hold of 80.00; its authorization is version 2. */
  async function heldAccount() {
    const accountId = await t.account(alice, { opening: '100.00' });
    const held = dataOf(await t.gql(AuthorizeHoldDocument, { input: { accountId, amount: '80.00', channel: 'ACH', idempotencyKey: randomUUID() } }, alice.token)).authorizeHold;
    if (held.__typename !== 'HoldChange' || !held.transaction) throw new Error(JSON.stringify(held));
    return { accountId, holdId: held.hold.id, authorizationId: held.transaction.id };
  }
  async function captured(holdId: string, amount: string, final?: boolean) {
    const result = dataOf(await t.gql(CaptureHoldDocument, { input: { holdId, amount, idempotencyKey: randomUUID(), ...(final === undefined ? {} : { final }) } }, alice.token)).captureHold;
    if (result.__typename !== 'HoldChange' || !result.transaction) throw new Error(JSON.stringify(result));
    return { ...result, transaction: result.transaction };
  }
  const holdRow = async (holdId: string) =>
    (await t.database.pool.query(`select status, captured_minor::int as captured from holds where id = $1`, [holdId])).rows[0] as { status: string; captured: number };

  it('a final capture of 62.50 of an 80.00 hold, reversed: +62.50 posted, pending unchanged, one version, the hold still CAPTURED', async () => {
    const { accountId, holdId } = await heldAccount();
    const capture = await captured(holdId, '62.50');
    expect(await balanceOf(accountId)).toMatchObject({ posted: '37.50', pending: '0.00', available: '37.50', version: 3 });
    const reversal = await reversed(capture.transaction.id, 'the merchant refunded the purchase');
    expect(reversal.transaction).toMatchObject({ kind: 'REVERSAL', channel: 'ACH', amount: '62.50', reverses: { id: capture.transaction.id, status: 'REVERSED' } });
    // Only the capture's POSTED entries are flipped; its release of the hold is not undone.
    const posted = capture.transaction.entries.filter((entry) => entry.layer === 'POSTED');
    expect(posted).toHaveLength(2);
    expect(reversal.transaction.entries.every((entry) => entry.layer === 'POSTED')).toBe(true);
    expect(shapes(reversal.transaction.entries)).toEqual(flipped(posted));
    expect(reversal.balances).toEqual([expect.objectContaining({ accountId, posted: '100.00', pending: '0.00', available: '100.00', version: 4 })]);
    expect(await holdRow(holdId)).toEqual({ status: 'CAPTURED', captured: 6250 });
    const history = dataOf(await t.gql(HistoryDocument, { accountId, first: 1 }, alice.token)).transactions;
    expect(history.edges.map((edge) => [edge.node.version, edge.node.amount, edge.node.balanceAfter, edge.node.transaction.kind])).toEqual([[4, '62.50', '100.00', 'REVERSAL']]);
  });

  it('a partial capture reversed: the rest stays held and can still be voided', async () => {
    const { accountId, holdId } = await heldAccount();
    const capture = await captured(holdId, '62.50', false);
    expect(await balanceOf(accountId)).toMatchObject({ posted: '37.50', pending: '17.50', available: '20.00', version: 3 });
    await reversed(capture.transaction.id);
    expect(await balanceOf(accountId)).toMatchObject({ posted: '100.00', pending: '17.50', available: '82.50', version: 4 });
    expect(await holdRow(holdId)).toEqual({ status: 'ACTIVE', captured: 6250 });
    const voided = dataOf(await t.gql(VoidHoldDocument, { input: { holdId, idempotencyKey: randomUUID() } }, alice.token)).voidHold;
    expect(voided.__typename).toBe('HoldChange');
    expect(await balanceOf(accountId)).toMatchObject({ posted: '100.00', pending: '0.00', available: '100.00', version: 5 });
  });

  it('a capture is reversed at most once', async () => {
    const { accountId, holdId } = await heldAccount();
    const capture = await captured(holdId, '62.50');
    await reversed(capture.transaction.id);
    expect(dataOf(await reverse(capture.transaction.id)).reverseTransaction).toMatchObject({ code: 'VALIDATION', message: 'This transaction is already reversed or returned.' });
    expect(await balanceOf(accountId)).toMatchObject({ posted: '100.00', version: 4 });
  });

  it('the hold itself and its release stay irreversible (VALIDATION), and nothing moves', async () => {
    const { accountId, holdId, authorizationId } = await heldAccount();
    expect(dataOf(await reverse(authorizationId)).reverseTransaction).toMatchObject({ code: 'VALIDATION', field: 'transactionId', message: 'A hold cannot be reversed; void it instead.' });
    const voided = dataOf(await t.gql(VoidHoldDocument, { input: { holdId, idempotencyKey: randomUUID() } }, alice.token)).voidHold;
    if (voided.__typename !== 'HoldChange' || !voided.transaction) throw new Error(JSON.stringify(voided));
    expect(dataOf(await reverse(voided.transaction.id)).reverseTransaction).toMatchObject({ code: 'VALIDATION', field: 'transactionId', message: "A hold's release cannot be reversed: it moved no posted money." });
    expect(await balanceOf(accountId)).toMatchObject({ posted: '100.00', pending: '0.00', version: 3 });
  });
});

describe('a transaction is reversed at most once', () => {
  it('a second reversal with another key is VALIDATION; the same key replays the first', async () => {
    const accountId = await t.account(alice);
    const deposit = await depositTo(accountId, '10.00');
    const key = randomUUID();
    const first = dataOf(await reverse(deposit.transaction.id, teller.token, key)).reverseTransaction;
    const replay = dataOf(await reverse(deposit.transaction.id, teller.token, key)).reverseTransaction;
    expect(replay).toMatchObject({ __typename: 'MoneyMovement', replayed: true });
    if (first.__typename !== 'MoneyMovement' || replay.__typename !== 'MoneyMovement') throw new Error('reversal refused');
    expect(replay.transaction.id).toBe(first.transaction.id);
    const again = dataOf(await reverse(deposit.transaction.id)).reverseTransaction;
    expect(again).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION', field: 'transactionId', message: 'This transaction is already reversed or returned.' });
    expect(await balanceOf(accountId)).toMatchObject({ posted: '0.00', version: 2 });
  });

  it('10 concurrent reversals with different keys: exactly one commits', async () => {
    const accountId = await t.account(alice);
    const deposit = await depositTo(accountId, '10.00');
    const results = await Promise.all(Array.from({ length: 10 }, () => reverse(deposit.transaction.id).then((response) => dataOf(response).reverseTransaction)));
    expect(results.filter((result) => result.__typename === 'MoneyMovement')).toHaveLength(1);
    expect(results.filter((result) => result.__typename === 'ValidationError')).toHaveLength(9);
    const { rows } = await t.database.pool.query('select count(*)::int as count from ledger_transactions where reverses_transaction_id = $1', [deposit.transaction.id]);
    expect(rows[0].count).toBe(1);
    expect(await balanceOf(accountId)).toMatchObject({ posted: '0.00', version: 2 });
  });

  it('the database refuses a second link to one original even if a writer skipped the check', async () => {
    const accountId = await t.account(alice);
    const deposit = await depositTo(accountId, '10.00');
    const reversal = await reversed(deposit.transaction.id);
    const error = await t.database.pool
      .query(
        `insert into ledger_transactions (id, kind, channel, status, amount_minor, currency, currency_exponent, idempotency_key, initiated_by, reverses_transaction_id)
         select gen_random_uuid(), 'REVERSAL', 'CASH', 'POSTED', 1000, 'USD', 2, 'raw', initiated_by, $1 from ledger_transactions where id = $2`,
        [deposit.transaction.id, reversal.transaction.id],
      )
      .then(() => undefined, (caught: { code?: string }) => caught.code);
    expect(error).toBe('23505');
  });

  it('a reversal cannot be reversed, and nothing is stored under the key', async () => {
    const accountId = await t.account(alice);
    const deposit = await depositTo(accountId, '10.00');
    const reversal = await reversed(deposit.transaction.id);
    const key = randomUUID();
    const result = dataOf(await reverse(reversal.transaction.id, teller.token, key)).reverseTransaction;
    expect(result).toMatchObject({ code: 'VALIDATION', field: 'transactionId' });
    const { rows } = await t.database.pool.query('select 1 from idempotency_records where user_id = $1 and key = $2', [teller.id, key]);
    expect(rows).toEqual([]);
  });
});

describe('who may reverse', () => {
  it('a customer gets NOT_FOUND, even for their own transaction, and nothing moves', async () => {
    const accountId = await t.account(alice);
    const deposit = await depositTo(accountId, '10.00');
    const result = dataOf(await reverse(deposit.transaction.id, alice.token)).reverseTransaction;
    expect(result).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    expect(await balanceOf(accountId)).toMatchObject({ posted: '10.00', version: 1 });
    expect(await links(deposit.transaction.id)).toMatchObject({ status: 'POSTED', reversedBy: null });
  });

  it('an unknown or malformed id is NOT_FOUND for an operator', async () => {
    expect(dataOf(await reverse(randomUUID())).reverseTransaction).toMatchObject({ code: 'NOT_FOUND' });
    expect(dataOf(await reverse('not-an-id')).reverseTransaction).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a bad reason is VALIDATION', async () => {
    const accountId = await t.account(alice);
    const deposit = await depositTo(accountId, '10.00');
    for (const reason of ['', 'x'.repeat(501), 'line\nbreak']) {
      expect(dataOf(await reverse(deposit.transaction.id, teller.token, randomUUID(), reason)).reverseTransaction).toMatchObject({ code: 'VALIDATION', field: 'reason' });
    }
    expect(await balanceOf(accountId)).toMatchObject({ posted: '10.00', version: 1 });
  });

  it('an operator reversal is audited in its unit', async () => {
    const accountId = await t.account(alice);
    const deposit = await depositTo(accountId, '10.00');
    const key = randomUUID();
    expect(dataOf(await reverse(deposit.transaction.id, teller.token, key)).reverseTransaction.__typename).toBe('MoneyMovement');
    const { rows } = await t.database.pool.query(
      `select outcome, actor_user_id, target from audit_events where action = 'operator.reverse_transaction' and details ->> 'idempotencyKey' = $1`,
      [key],
    );
    expect(rows).toEqual([{ outcome: 'OK', actor_user_id: teller.id, target: deposit.transaction.id }]);
  });
});

describe('a reversal of a spent deposit may overdraw', () => {
  it('the account goes below its overdraft limit, owes the bank, and may then only receive money', async () => {
    const accountId = await t.account(alice);
    const deposit = await depositTo(accountId, '50.00');
    const spent = dataOf(await t.gql(WithdrawDocument, { input: { accountId, amount: '45.00', channel: 'ACH', idempotencyKey: randomUUID() } }, alice.token)).withdraw;
    expect(spent.__typename).toBe('MoneyMovement');
    await reversed(deposit.transaction.id, 'the deposit was counterfeit');
    expect(await balanceOf(accountId)).toMatchObject({ posted: '-45.00', available: '-45.00', version: 3 });
    const more = dataOf(await t.gql(WithdrawDocument, { input: { accountId, amount: '1.00', channel: 'ACH', idempotencyKey: randomUUID() } }, alice.token)).withdraw;
    expect(more).toMatchObject({ code: 'INSUFFICIENT_FUNDS' });
    // A deposit that does not bring it back above the line is still accepted.
    await depositTo(accountId, '5.00');
    expect(await balanceOf(accountId)).toMatchObject({ posted: '-40.00', version: 4 });
  });

  it('the database still refuses a raw update that lowers available below the line without a correction', async () => {
    const accountId = await t.account(alice);
    const error = await t.database.pool
      .query(`update accounts set posted_minor = -1 where id = $1`, [accountId])
      .then(() => undefined, (caught: { code?: string }) => caught.code);
    expect(error).toBe('23514');
  });
});

describe('subscribers get the reversal', () => {
  it('balanceUpdated pushes the reversal version with its transaction', async () => {
    const accountId = await t.account(alice);
    const deposit = await depositTo(accountId, '20.00');
    const socket = openSocket(t.url, alice.token);
    try {
      const live = subscribe<{ balanceUpdated: { version: number; balance: { posted: string }; transaction: { id: string; kind: string } | null } }>(
        socket,
        `subscription($id: ID!, $after: Int) { balanceUpdated(accountId: $id, afterVersion: $after) { version balance { posted } transaction { id kind } } }`,
        { id: accountId, after: 1 },
      );
      const reversal = await reversed(deposit.transaction.id);
      await live.waitUntil((subscription) => subscription.data().some((data) => data.balanceUpdated.version === 2), 20_000, 'the reversal update');
      expect(live.data().find((data) => data.balanceUpdated.version === 2)?.balanceUpdated).toEqual({
        version: 2,
        balance: { posted: '0.00' },
        transaction: { id: reversal.transaction.id, kind: 'REVERSAL' },
      });
      live.unsubscribe();
    } finally {
      await socket.dispose();
    }
  });
});

describe('reversals in one unit of work', () => {
  it('two reversals of one transaction in one unit: the second sees the first and is refused', async () => {
    const accountId = await t.account(alice);
    const deposit = await depositTo(accountId, '10.00');
    const operator = { userId: teller.id, role: 'OPERATOR' as const };
    const original = await readReversalOriginal(t.app.orm.em.fork(), deposit.transaction.id);
    const command = () => reverseTransactionCommand(operator, { transactionId: deposit.transaction.id, reason: 'twice', idempotencyKey: randomUUID() }, original);
    const [first, second] = await runCommands(t.app.orm, [command(), command()]);
    expect(first.outcome).toMatchObject({ ok: true, balances: [{ postedMinor: '0', version: 2 }] });
    expect(second.outcome).toMatchObject({ ok: false, code: 'VALIDATION', message: 'This transaction is already reversed or returned.' });
    expect(await balanceOf(accountId)).toMatchObject({ posted: '0.00', version: 2 });
  });
});
