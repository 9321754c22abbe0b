import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AccountReturnedItemsDocument,
  BalanceDocument,
  DepositDocument,
  ReturnDepositDocument,
  ReverseTransactionDocument,
  TransactionAvailabilityDocument,
  TransactionDocument,
  WithdrawDocument,
  type WithdrawInput,
} from '../generated/graphql.js';
import { dataOf } from '../helpers/graphql-client.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';
import { releaseAvailabilityCommand } from '../../src/ledger/commands/change-hold.js';
import { runSystemCommands } from '../../src/ledger/system/run-system-commands.js';
import { returnDepositCommand } from '../../src/ledger/commands/return-deposit.js';
import { runCommand } from '../../src/ledger/commands/run-command.js';
import { readReversalOriginal } from '../../src/ledger/queries/reversal-original.js';
import { readDepositHoldIds } from '../../src/ledger/queries/deposit-holds.js';

/** Returned items (issue 8 §4): an operator returns a deposit; a check the customer wrote bounces. */
let t: TestApp;
let alice: TestUser;
let bob: TestUser;
let teller: TestUser;

beforeAll(async () => {
  t = await startTestApp();
  [alice, bob, teller] = await Promise.all([t.user(), t.user(), t.user('OPERATOR')]);
});
afterAll(() => t.close());

const balanceOf = async (accountId: string) => dataOf(await t.gql(BalanceDocument, { accountId }, alice.token)).balance!;
const viewOf = async (id: string, token = alice.token) => dataOf(await t.gql(TransactionAvailabilityDocument, { id }, token)).transaction;
const returnIt = (transactionId: string, options: { token?: string; key?: string; reason?: string } = {}) =>
  t.gql(ReturnDepositDocument, { input: { transactionId, reason: options.reason ?? 'NSF: refer to maker', idempotencyKey: options.key ?? randomUUID() } }, options.token ?? teller.token).then(
    (response) => dataOf(response).returnDeposit,
  );
const holdStatuses = async (transactionId: string) =>
  (await t.database.pool.query(`select status from holds where authorization_transaction_id = $1 order by release_at`, [transactionId])).rows.map((row) => row.status as string);

async function depositTo(accountId: string, amount: string, channel: 'CHECK' | 'CASH' = 'CHECK') {
  // A customer deposits a check; cash is posted by the cash service.
  const depositor = channel === 'CHECK' ? alice : await t.cashier();
  const result = dataOf(await t.gql(DepositDocument, { input: { accountId, amount, channel, idempotencyKey: randomUUID() } }, depositor.token)).deposit;
  if (result.__typename !== 'MoneyMovement') throw new Error(JSON.stringify(result));
  return result.transaction;
}

describe('returnDeposit', () => {
  it('before any release: the holds are released and the deposit debited back in one change; RETURNED with its reason, linked both ways; audited', async () => {
    const accountId = await t.account(alice, { opening: '50.00' });
    const check = await depositTo(accountId, '500.00');
    expect(await balanceOf(accountId)).toMatchObject({ posted: '550.00', pending: '500.00', available: '50.00', version: 2 });
    const key = randomUUID();
    const returned = await returnIt(check.id, { key });
    expect(returned).toMatchObject({
      __typename: 'MoneyMovement',
      replayed: false,
      transaction: { kind: 'RETURN', channel: 'CHECK', status: 'POSTED', amount: '500.00', returnReason: 'NSF: refer to maker', returns: { id: check.id, status: 'RETURNED', returnReason: 'NSF: refer to maker' } },
      balances: [{ accountId, posted: '50.00', pending: '0.00', available: '50.00', version: 3 }],
    });
    expect(await holdStatuses(check.id)).toEqual(['VOIDED', 'VOIDED']);
    const deposit = await viewOf(check.id);
    expect(deposit).toMatchObject({ status: 'RETURNED', returnReason: 'NSF: refer to maker', returnedBy: { kind: 'RETURN' } });
    expect(deposit!.availability.map((part) => part.released)).toEqual([true, true]);
    const audit = await t.database.pool.query(`select outcome, actor_user_id, target from audit_events where action = 'operator.return_deposit' and details ->> 'idempotencyKey' = $1`, [key]);
    expect(audit.rows).toEqual([{ outcome: 'OK', actor_user_id: teller.id, target: check.id }]);

    // The same key replays; another key is refused; a returned deposit cannot be reversed either.
    const replay = await returnIt(check.id, { key });
    expect(replay).toMatchObject({ __typename: 'MoneyMovement', replayed: true });
    if (replay.__typename !== 'MoneyMovement' || returned.__typename !== 'MoneyMovement') throw new Error('unreachable');
    expect(replay.transaction.id).toBe(returned.transaction.id);
    expect(await returnIt(check.id)).toMatchObject({ __typename: 'ValidationError', field: 'transactionId', message: 'This deposit is already returned or reversed.' });
    const reversal = dataOf(await t.gql(ReverseTransactionDocument, { input: { transactionId: check.id, reason: 'try', idempotencyKey: randomUUID() } }, teller.token)).reverseTransaction;
    expect(reversal).toMatchObject({ __typename: 'ValidationError', field: 'transactionId' });
    expect(await balanceOf(accountId)).toMatchObject({ posted: '50.00', version: 3 });
  });

  it('after the customer spent it: the return overdraws past the limit and the account owes the bank', async () => {
    const accountId = await t.account(alice);
    const check = await depositTo(accountId, '400.00');
    // Both parts released (the scheduler's step, with a clock past both release times).
    const clock = () => new Date(Date.now() + 40 * 86_400_000);
    for (const holdId of await readDepositHoldIds(t.app.orm.em.fork(), check.id)) {
      const [released] = await runSystemCommands(t.app.orm, [releaseAvailabilityCommand(holdId)], { clock });
      expect(released.outcome.ok).toBe(true);
    }
    const spent = dataOf(await t.gql(WithdrawDocument, { input: { accountId, amount: '400.00', channel: 'ACH', idempotencyKey: randomUUID() } }, alice.token)).withdraw;
    expect(spent.__typename).toBe('MoneyMovement');
    const returned = await returnIt(check.id);
    expect(returned).toMatchObject({ __typename: 'MoneyMovement', balances: [{ posted: '-400.00', pending: '0.00', available: '-400.00', version: 5 }] });
    expect(await holdStatuses(check.id)).toEqual(['EXPIRED', 'EXPIRED']);
  });

  it('with one part released and one still held: only the held part is released by the return', async () => {
    const accountId = await t.account(alice);
    const check = await depositTo(accountId, '300.00');
    const [first] = await readDepositHoldIds(t.app.orm.em.fork(), check.id).then(async (ids) =>
      (await t.database.pool.query(`select id from holds where id = any($1::uuid[]) order by release_at`, [ids])).rows.map((row) => row.id as string),
    );
    await runSystemCommands(t.app.orm, [releaseAvailabilityCommand(first!)], { clock: () => new Date(Date.now() + 5 * 86_400_000) });
    expect(await balanceOf(accountId)).toMatchObject({ posted: '300.00', pending: '25.00', available: '275.00', version: 2 });
    const returned = await returnIt(check.id);
    expect(returned).toMatchObject({ __typename: 'MoneyMovement', balances: [{ posted: '0.00', pending: '0.00', available: '0.00', version: 3 }] });
    expect(await holdStatuses(check.id)).toEqual(['EXPIRED', 'VOIDED']);
  });

  it('a return racing the scheduled release of the same hold: both succeed in some order, the hold is released once', async () => {
    for (let round = 0; round < 5; round += 1) {
      const accountId = await t.account(alice);
      const check = await depositTo(accountId, '100.00');
      const [holdId] = await readDepositHoldIds(t.app.orm.em.fork(), check.id);
      const original = await readReversalOriginal(t.app.orm.em.fork(), check.id);
      const [release, returned] = await Promise.all([
        runSystemCommands(t.app.orm, [releaseAvailabilityCommand(holdId!)], { clock: () => new Date(Date.now() + 5 * 86_400_000) }),
        runCommand(t.app.orm, returnDepositCommand({ userId: teller.id, role: 'OPERATOR' }, { transactionId: check.id, reason: 'NSF', idempotencyKey: randomUUID() }, original, [holdId!])),
      ]);
      expect(returned.outcome.ok).toBe(true);
      // Whichever locked the hold second found it no longer ACTIVE (the release) or released nothing (the return).
      expect(release[0].outcome.ok ? 'released first' : release[0].outcome.code).toMatch(/released first|HOLD_NOT_ACTIVE/);
      expect(await balanceOf(accountId)).toMatchObject({ posted: '0.00', pending: '0.00', available: '0.00' });
    }
  });

  it('a customer gets NOT_FOUND; bad reasons are VALIDATION; only deposits are returned; nothing moves', async () => {
    const accountId = await t.account(alice, { opening: '20.00' });
    const check = await depositTo(accountId, '70.00');
    expect(await returnIt(check.id, { token: alice.token })).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    expect(await returnIt(randomUUID())).toMatchObject({ __typename: 'NotFoundError' });
    for (const reason of ['', '   ', 'x'.repeat(201), 'bounced\u0007']) {
      expect(await returnIt(check.id, { reason })).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION', field: 'reason' });
    }
    const spent = dataOf(await t.gql(WithdrawDocument, { input: { accountId, amount: '1.00', channel: 'ACH', idempotencyKey: randomUUID() } }, alice.token)).withdraw;
    if (spent.__typename !== 'MoneyMovement') throw new Error(spent.__typename);
    expect(await returnIt(spent.transaction.id)).toMatchObject({ __typename: 'ValidationError', message: 'Only a deposit can be returned.' });
    expect(await balanceOf(accountId)).toMatchObject({ posted: '89.00', pending: '70.00', version: 3 });
    expect(await holdStatuses(check.id)).toEqual(['ACTIVE']);
  });

  it('any deposit can be returned (an ACH credit too), but not one already reversed; a check deposit is returned, not reversed', async () => {
    const accountId = await t.account(alice);
    const cash = await depositTo(accountId, '30.00', 'CASH');
    expect(await returnIt(cash.id)).toMatchObject({ __typename: 'MoneyMovement', transaction: { kind: 'RETURN', channel: 'CASH' } });
    const other = await depositTo(accountId, '15.00', 'CASH');
    const reversed = dataOf(await t.gql(ReverseTransactionDocument, { input: { transactionId: other.id, reason: 'typo', idempotencyKey: randomUUID() } }, teller.token)).reverseTransaction;
    expect(reversed.__typename).toBe('MoneyMovement');
    expect(await returnIt(other.id)).toMatchObject({ __typename: 'ValidationError', message: 'This deposit is already returned or reversed.' });
    const check = await depositTo(accountId, '15.00');
    const refused = dataOf(await t.gql(ReverseTransactionDocument, { input: { transactionId: check.id, reason: 'typo', idempotencyKey: randomUUID() } }, teller.token)).reverseTransaction;
    expect(refused).toMatchObject({ __typename: 'ValidationError', message: 'A deposit under an availability hold cannot be reversed; return it with returnDeposit.' });
  });
});

describe('a check the customer wrote, returned unpaid', () => {
  /**
   * The check as the paying bank receives it. Today the customer's own token presents it; once
   * the check-clearing SERVICE role exists, only this function changes its actor.
   */
  // Another bank presents the check through the check-clearing house, a service on the CHECK rail.
  let clearingHouse: Promise<TestUser> | undefined;
  const presentCheck = async (input: Omit<WithdrawInput, 'channel'>) => {
    const presenter = await (clearingHouse ??= t.user('SERVICE', { channels: ['CHECK'] }));
    return dataOf(await t.gql(WithdrawDocument, { input: { ...input, channel: 'CHECK' } }, presenter.token)).withdraw;
  };

  it('finds insufficient funds: refused, and recorded as a RETURNED withdrawal with its reason that moved nothing; a replay records nothing more', async () => {
    const accountId = await t.account(alice, { opening: '10.00' });
    const idempotencyKey = randomUUID();
    const refused = await presentCheck({ accountId, amount: '50.00', externalRef: 'chk-1042', idempotencyKey });
    expect(refused).toMatchObject({ __typename: 'InsufficientFundsError', code: 'INSUFFICIENT_FUNDS' });
    expect(await presentCheck({ accountId, amount: '50.00', externalRef: 'chk-1042', idempotencyKey })).toMatchObject({ __typename: 'InsufficientFundsError' });
    const { rows } = await t.database.pool.query(`select id from ledger_transactions where idempotency_key = $1`, [idempotencyKey]);
    expect(rows).toHaveLength(1);
    const item = dataOf(await t.gql(TransactionDocument, { id: rows[0].id }, alice.token)).transaction;
    expect(item).toMatchObject({ kind: 'WITHDRAWAL', channel: 'CHECK', status: 'RETURNED', amount: '50.00', externalRef: 'chk-1042', postedAt: null, entries: [] });
    expect(await viewOf(rows[0].id)).toMatchObject({ status: 'RETURNED', returnReason: 'NSF: insufficient funds', availability: [] });
    const listed = dataOf(await t.gql(AccountReturnedItemsDocument, { id: accountId }, alice.token)).account!.returnedItems;
    expect(listed).toEqual([{ id: rows[0].id, kind: 'WITHDRAWAL', channel: 'CHECK', status: 'RETURNED', amount: '50.00', externalRef: 'chk-1042', returnReason: 'NSF: insufficient funds' }]);
    // Another customer cannot read it; the account did not change.
    expect(dataOf(await t.gql(TransactionDocument, { id: rows[0].id }, bob.token)).transaction).toBeNull();
    expect(await balanceOf(accountId)).toMatchObject({ posted: '10.00', available: '10.00', version: 1 });
    // A check that the funds cover is paid as before.
    expect(await presentCheck({ accountId, amount: '10.00', idempotencyKey: randomUUID() })).toMatchObject({ __typename: 'MoneyMovement' });
  });
});
