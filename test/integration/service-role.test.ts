import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AccountDocument,
  AccountsDocument,
  AuthorizeHoldDocument,
  BalanceDocument,
  CaptureHoldDocument,
  DepositDocument,
  OpenAccountDocument,
  PayeeDocument,
  TransferDocument,
  ViewerDocument,
  VoidHoldDocument,
  WithdrawDocument,
} from '../generated/graphql.js';
import { dataOf } from '../helpers/graphql-client.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';

/**
 * Who may move money on which rail (issue 8 §2), through GraphQL on real PostgreSQL: the rail's
 * service posts outside money, customers keep what they initiate, operators deposit, and every
 * call of a service is audited in the unit that moves (or refuses) the money.
 */
let t: TestApp;
let alice: TestUser;
let bob: TestUser;
let teller: TestUser;
let atm: TestUser;
let card: TestUser;

beforeAll(async () => {
  t = await startTestApp();
  [alice, bob, teller] = await Promise.all([t.user(), t.user(), t.user('OPERATOR')]);
  atm = await t.user('SERVICE', { channels: ['ATM', 'CASH'] });
  card = await t.user('SERVICE', { channels: ['CARD'] });
});
afterAll(() => t.close());

const balanceOf = async (accountId: string) => dataOf(await t.gql(BalanceDocument, { accountId }, alice.token)).balance;
const transactionsUnder = async (idempotencyKey: string) =>
  (await t.database.pool.query<{ count: number }>('select count(*)::int as count from ledger_transactions where idempotency_key = $1', [idempotencyKey])).rows[0]!.count;
const storedOutcomes = async (userId: string, key: string) =>
  (await t.database.pool.query<{ count: number }>('select count(*)::int as count from idempotency_records where user_id = $1 and key = $2', [userId, key])).rows[0]!.count;
const auditOf = async (action: string, key: string) =>
  (
    await t.database.pool.query<{ outcome: string; actor_user_id: string; target: string; details: Record<string, unknown> }>(
      `select outcome, actor_user_id, target, details from audit_events where action = $1 and details ->> 'idempotencyKey' = $2`,
      [action, key],
    )
  ).rows;

describe('customers', () => {
  it('a customer CASH deposit is FORBIDDEN, moves nothing, stores nothing, and the key stays usable', async () => {
    const accountId = await t.account(alice);
    const idempotencyKey = randomUUID();
    const refused = dataOf(await t.gql(DepositDocument, { input: { accountId, amount: '1000000000000.00', channel: 'CASH', idempotencyKey } }, alice.token)).deposit;
    expect(refused).toMatchObject({
      __typename: 'ForbiddenError',
      code: 'FORBIDDEN',
      retryable: false,
      message: 'Cash deposits are posted by the cash service (a teller or ATM network), not by customers; customers deposit checks (CHECK).',
    });
    expect(await balanceOf(accountId)).toMatchObject({ posted: '0.00', version: 0 });
    expect(await transactionsUnder(idempotencyKey)).toBe(0);
    expect(await storedOutcomes(alice.id, idempotencyKey)).toBe(0);
    // The same key carries an allowed request afterwards: the refusal was not an outcome.
    const allowed = dataOf(await t.gql(WithdrawDocument, { input: { accountId, amount: '1.00', channel: 'ACH', idempotencyKey } }, alice.token)).withdraw;
    expect(allowed).toMatchObject({ code: 'INSUFFICIENT_FUNDS' });
  });

  it('a customer CHECK deposit is theirs to make', async () => {
    const accountId = await t.account(alice);
    const deposited = dataOf(await t.gql(DepositDocument, { input: { accountId, amount: '12.00', channel: 'CHECK', idempotencyKey: randomUUID() } }, alice.token)).deposit;
    expect(deposited).toMatchObject({ __typename: 'MoneyMovement', transaction: { channel: 'CHECK' } });
  });

  it('ATM withdrawals and CARD holds are the rails\', not the customer\'s: FORBIDDEN; ACH is the customer\'s', async () => {
    const accountId = await t.account(alice, { opening: '50.00' });
    const atmWithdrawal = dataOf(await t.gql(WithdrawDocument, { input: { accountId, amount: '1.00', channel: 'ATM', idempotencyKey: randomUUID() } }, alice.token)).withdraw;
    expect(atmWithdrawal).toMatchObject({ code: 'FORBIDDEN' });
    const cardHold = dataOf(await t.gql(AuthorizeHoldDocument, { input: { accountId, amount: '1.00', channel: 'CARD', idempotencyKey: randomUUID() } }, alice.token)).authorizeHold;
    expect(cardHold).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('the card processor') });
    const ach = dataOf(await t.gql(WithdrawDocument, { input: { accountId, amount: '1.00', channel: 'ACH', idempotencyKey: randomUUID() } }, alice.token)).withdraw;
    expect(ach).toMatchObject({ __typename: 'MoneyMovement' });
    expect(await balanceOf(accountId)).toMatchObject({ posted: '49.00', pending: '0.00' });
  });
});

describe('services', () => {
  it("deposits and withdraws on its channels on any customer's account, sees that account's balances, and is audited", async () => {
    const accountId = await t.account(bob);
    const depositKey = randomUUID();
    const deposited = dataOf(await t.gql(DepositDocument, { input: { accountId, amount: '80.00', channel: 'CASH', idempotencyKey: depositKey } }, atm.token)).deposit;
    expect(deposited).toMatchObject({ __typename: 'MoneyMovement', balances: [{ accountId, posted: '80.00', version: 1 }] });
    // The service named the account, so its own movement's entries show it (and the cash vault).
    if (deposited.__typename !== 'MoneyMovement') throw new Error('unreachable');
    expect(deposited.transaction.entries.find((entry) => entry.direction === 'CREDIT')?.accountId).toBe(accountId);
    expect(deposited.transaction.entries.every((entry) => entry.accountId !== null)).toBe(true);
    const withdrawKey = randomUUID();
    const withdrawn = dataOf(await t.gql(WithdrawDocument, { input: { accountId, amount: '20.00', channel: 'ATM', idempotencyKey: withdrawKey } }, atm.token)).withdraw;
    expect(withdrawn).toMatchObject({ __typename: 'MoneyMovement', balances: [{ accountId, posted: '60.00', version: 2 }] });
    expect(await auditOf('service.deposit', depositKey)).toEqual([
      { outcome: 'OK', actor_user_id: atm.id, target: accountId, details: { idempotencyKey: depositKey, amount: '80.00', channel: 'CASH', channels: ['ATM', 'CASH'], replayed: false } },
    ]);
    expect(await auditOf('service.withdraw', withdrawKey)).toEqual([expect.objectContaining({ outcome: 'OK', actor_user_id: atm.id, target: accountId })]);
    // A replay is a call too: audited again, marked as a replay; nothing moves again.
    const again = dataOf(await t.gql(DepositDocument, { input: { accountId, amount: '80.00', channel: 'CASH', idempotencyKey: depositKey } }, atm.token)).deposit;
    expect(again).toMatchObject({ replayed: true });
    expect((await auditOf('service.deposit', depositKey)).map((row) => row.details.replayed)).toEqual([false, true]);
  });

  it('a deposit on a channel not its own is FORBIDDEN, moves nothing, and is audited as DENIED', async () => {
    const accountId = await t.account(bob);
    const idempotencyKey = randomUUID();
    const refused = dataOf(await t.gql(DepositDocument, { input: { accountId, amount: '5.00', channel: 'WIRE', idempotencyKey } }, atm.token)).deposit;
    expect(refused).toMatchObject({ code: 'FORBIDDEN', message: 'This service moves money only on its channels (ATM, CASH); WIRE movements are made by the wire service.' });
    expect(await transactionsUnder(idempotencyKey)).toBe(0);
    expect(await storedOutcomes(atm.id, idempotencyKey)).toBe(0);
    expect(await auditOf('service.deposit', idempotencyKey)).toEqual([expect.objectContaining({ outcome: 'DENIED', details: expect.objectContaining({ code: 'FORBIDDEN' }) })]);
  });

  it("the card processor authorizes and captures card holds on any customer's account, audited; the ATM network may not", async () => {
    const accountId = await t.account(alice, { opening: '100.00' });
    const authorizeKey = randomUUID();
    const held = dataOf(await t.gql(AuthorizeHoldDocument, { input: { accountId, amount: '30.00', channel: 'CARD', idempotencyKey: authorizeKey } }, card.token)).authorizeHold;
    if (held.__typename !== 'HoldChange') throw new Error(JSON.stringify(held));
    expect(held.balances).toEqual([expect.objectContaining({ accountId, posted: '100.00', pending: '30.00', available: '70.00' })]);
    const foreignCapture = dataOf(await t.gql(CaptureHoldDocument, { input: { holdId: held.hold.id, amount: '25.00', idempotencyKey: randomUUID() } }, atm.token)).captureHold;
    expect(foreignCapture).toMatchObject({ code: 'FORBIDDEN' });
    const ownerCapture = dataOf(await t.gql(CaptureHoldDocument, { input: { holdId: held.hold.id, amount: '25.00', idempotencyKey: randomUUID() } }, alice.token)).captureHold;
    expect(ownerCapture).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('the card processor') });
    const captureKey = randomUUID();
    const captured = dataOf(await t.gql(CaptureHoldDocument, { input: { holdId: held.hold.id, amount: '25.00', idempotencyKey: captureKey } }, card.token)).captureHold;
    expect(captured).toMatchObject({ __typename: 'HoldChange', hold: { status: 'CAPTURED' }, balances: [{ posted: '75.00', pending: '0.00', available: '75.00' }] });
    expect(await auditOf('service.authorize_hold', authorizeKey)).toEqual([expect.objectContaining({ outcome: 'OK', actor_user_id: card.id, target: accountId })]);
    expect(await auditOf('service.capture_hold', captureKey)).toEqual([expect.objectContaining({ outcome: 'OK', target: held.hold.id })]);
    const atmHold = dataOf(await t.gql(AuthorizeHoldDocument, { input: { accountId, amount: '1.00', channel: 'CARD', idempotencyKey: randomUUID() } }, atm.token)).authorizeHold;
    expect(atmHold).toMatchObject({ code: 'FORBIDDEN' });
    expect(await balanceOf(accountId)).toMatchObject({ posted: '75.00', pending: '0.00' });
  });

  it('the card processor voids its hold; audited', async () => {
    const accountId = await t.account(alice, { opening: '10.00' });
    const held = dataOf(await t.gql(AuthorizeHoldDocument, { input: { accountId, amount: '4.00', channel: 'CARD', idempotencyKey: randomUUID() } }, card.token)).authorizeHold;
    if (held.__typename !== 'HoldChange') throw new Error(JSON.stringify(held));
    const voidKey = randomUUID();
    const voided = dataOf(await t.gql(VoidHoldDocument, { input: { holdId: held.hold.id, idempotencyKey: voidKey } }, card.token)).voidHold;
    expect(voided).toMatchObject({ hold: { status: 'VOIDED' }, balances: [{ available: '10.00' }] });
    expect(await auditOf('service.void_hold', voidKey)).toEqual([expect.objectContaining({ outcome: 'OK' })]);
  });

  it('revoking a channel (an update of its row) takes effect on the next request', async () => {
    const service = await t.user('SERVICE', { channels: ['ZELLE', 'PAYPAL'] });
    const accountId = await t.account(bob);
    const zelle = (key: string) => t.gql(DepositDocument, { input: { accountId, amount: '1.00', channel: 'ZELLE', idempotencyKey: key } }, service.token);
    expect(dataOf(await zelle(randomUUID())).deposit.__typename).toBe('MoneyMovement');
    await t.database.pool.query(`update users set channels = array_remove(channels, 'ZELLE') where id = $1`, [service.id]);
    const key = randomUUID();
    expect(dataOf(await zelle(key)).deposit).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('(PAYPAL)') });
    // Granted again, the same key goes through: the refusal stored nothing under it.
    await t.database.pool.query(`update users set channels = array_append(channels, 'ZELLE') where id = $1`, [service.id]);
    expect(dataOf(await zelle(key)).deposit).toMatchObject({ __typename: 'MoneyMovement', replayed: false });
  });

  it('reads no account: accounts is empty, account(id) is null, payee is null; it opens none and transfers nothing', async () => {
    const accountId = await t.account(bob, { opening: '3.00' });
    expect(dataOf(await t.gql(AccountsDocument, {}, atm.token)).accounts).toEqual([]);
    expect(dataOf(await t.gql(AccountDocument, { id: accountId }, atm.token)).account).toBeNull();
    expect(dataOf(await t.gql(ViewerDocument, {}, atm.token)).me).toMatchObject({ role: 'SERVICE', channels: ['ATM', 'CASH'] });
    const number = dataOf(await t.gql(AccountsDocument, {}, bob.token)).accounts.find((one) => one.id === accountId)!.number;
    expect(dataOf(await t.gql(PayeeDocument, { accountNumber: number }, atm.token)).payee).toBeNull();
    expect(dataOf(await t.gql(PayeeDocument, { accountNumber: number }, alice.token)).payee).toMatchObject({ accountId });
    const opened = dataOf(await t.gql(OpenAccountDocument, { input: { type: 'CHECKING', currency: 'USD', idempotencyKey: randomUUID() } }, atm.token)).openAccount;
    expect(opened).toMatchObject({ code: 'FORBIDDEN' });
    const other = await t.account(alice);
    const transferKey = randomUUID();
    const moved = dataOf(await t.gql(TransferDocument, { input: { fromAccountId: accountId, toAccountId: other, amount: '1.00', idempotencyKey: transferKey } }, atm.token)).transfer;
    expect(moved).toMatchObject({ code: 'FORBIDDEN' });
    expect(await auditOf('service.transfer', transferKey)).toEqual([expect.objectContaining({ outcome: 'DENIED' })]);
    expect(await balanceOf(other)).toMatchObject({ posted: '0.00' });
  });
});

describe('operators', () => {
  it('a teller deposits to any account on any channel; a teller withdrawal is FORBIDDEN and moves nothing', async () => {
    const accountId = await t.account(alice);
    const deposited = dataOf(await t.gql(DepositDocument, { input: { accountId, amount: '40.00', channel: 'CASH', idempotencyKey: randomUUID() } }, teller.token)).deposit;
    expect(deposited).toMatchObject({ __typename: 'MoneyMovement', balances: [{ posted: '40.00' }] });
    const withdrawn = dataOf(await t.gql(WithdrawDocument, { input: { accountId, amount: '1.00', channel: 'CASH', idempotencyKey: randomUUID() } }, teller.token)).withdraw;
    expect(withdrawn).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('Operators do not make withdrawals') });
    expect(await balanceOf(accountId)).toMatchObject({ posted: '40.00', version: 1 });
  });
});
