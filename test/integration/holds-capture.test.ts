import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountHoldsDocument, AuthorizeHoldDocument, BalanceDocument, CaptureHoldDocument, LayeredHistoryDocument, VoidHoldDocument } from '../generated/graphql.js';
import { dataOf } from '../helpers/graphql-client.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';

/** captureHold and voidHold (issue 8 §3) on real PostgreSQL. */
let t: TestApp;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  t = await startTestApp();
  [alice, bob] = await Promise.all([t.user(), t.user()]);
});
afterAll(() => t.close());

const balanceOf = async (accountId: string) => dataOf(await t.gql(BalanceDocument, { accountId }, alice.token)).balance!;

/** A fresh account of 50.00 with one 20.00 hold on it. */
async function heldAccount(expiresInSeconds?: number): Promise<{ accountId: string; holdId: string }> {
  const accountId = await t.account(alice, { opening: '50.00' });
  const result = dataOf(
    await t.gql(AuthorizeHoldDocument, { input: { accountId, amount: '20.00', channel: 'ACH', idempotencyKey: randomUUID(), ...(expiresInSeconds ? { expiresInSeconds } : {}) } }, alice.token),
  ).authorizeHold;
  if (result.__typename !== 'HoldChange') throw new Error(`authorization failed: ${result.__typename}`);
  return { accountId, holdId: result.hold.id };
}

type Step = { capture: { amount?: string; final?: boolean } } | { void: true };
const capture = (holdId: string, input: { amount?: string; final?: boolean }, user = alice) =>
  t.gql(CaptureHoldDocument, { input: { holdId, idempotencyKey: randomUUID(), ...input } }, user.token);
const voidIt = (holdId: string, user = alice) => t.gql(VoidHoldDocument, { input: { holdId, idempotencyKey: randomUUID() } }, user.token);

async function run(holdId: string, step: Step): Promise<string> {
  if ('void' in step) return dataOf(await voidIt(holdId)).voidHold.__typename;
  return dataOf(await capture(holdId, step.capture)).captureHold.__typename;
}

interface Expected {
  readonly outcomes: string[];
  readonly hold: { status: string; capturedAmount: string; remaining: string };
  readonly balance: { posted: string; pending: string; available: string; version: number };
}

const rules: [string, Step[], Expected][] = [
  ['capture all by default', [{ capture: {} }], { outcomes: ['HoldChange'], hold: { status: 'CAPTURED', capturedAmount: '20.00', remaining: '0.00' }, balance: { posted: '30.00', pending: '0.00', available: '30.00', version: 3 } }],
  ['capture less, final: the rest is released', [{ capture: { amount: '12.00' } }], { outcomes: ['HoldChange'], hold: { status: 'CAPTURED', capturedAmount: '12.00', remaining: '0.00' }, balance: { posted: '38.00', pending: '0.00', available: '38.00', version: 3 } }],
  ['capture less, not final: the rest stays held', [{ capture: { amount: '5.00', final: false } }], { outcomes: ['HoldChange'], hold: { status: 'ACTIVE', capturedAmount: '5.00', remaining: '15.00' }, balance: { posted: '45.00', pending: '15.00', available: '30.00', version: 3 } }],
  ['two partial captures, the second takes what remains', [{ capture: { amount: '5.00', final: false } }, { capture: { amount: '15.00', final: false } }], { outcomes: ['HoldChange', 'HoldChange'], hold: { status: 'CAPTURED', capturedAmount: '20.00', remaining: '0.00' }, balance: { posted: '30.00', pending: '0.00', available: '30.00', version: 4 } }],
  ['a partial capture then a void releases the rest', [{ capture: { amount: '5.00', final: false } }, { void: true }], { outcomes: ['HoldChange', 'HoldChange'], hold: { status: 'VOIDED', capturedAmount: '5.00', remaining: '0.00' }, balance: { posted: '45.00', pending: '0.00', available: '45.00', version: 4 } }],
  ['over-capture is VALIDATION and changes nothing', [{ capture: { amount: '20.01' } }], { outcomes: ['ValidationError'], hold: { status: 'ACTIVE', capturedAmount: '0.00', remaining: '20.00' }, balance: { posted: '50.00', pending: '20.00', available: '30.00', version: 2 } }],
  ['over-capture of what remains after a partial one', [{ capture: { amount: '5.00', final: false } }, { capture: { amount: '15.01' } }], { outcomes: ['HoldChange', 'ValidationError'], hold: { status: 'ACTIVE', capturedAmount: '5.00', remaining: '15.00' }, balance: { posted: '45.00', pending: '15.00', available: '30.00', version: 3 } }],
  ['a malformed amount is VALIDATION', [{ capture: { amount: '-1.00' } }, { capture: { amount: '1.001' } }, { capture: { amount: '0.00' } }], { outcomes: ['ValidationError', 'ValidationError', 'ValidationError'], hold: { status: 'ACTIVE', capturedAmount: '0.00', remaining: '20.00' }, balance: { posted: '50.00', pending: '20.00', available: '30.00', version: 2 } }],
  ['capture after a final capture is HOLD_NOT_ACTIVE', [{ capture: { amount: '1.00' } }, { capture: {} }], { outcomes: ['HoldChange', 'HoldNotActiveError'], hold: { status: 'CAPTURED', capturedAmount: '1.00', remaining: '0.00' }, balance: { posted: '49.00', pending: '0.00', available: '49.00', version: 3 } }],
  ['capture or void after a void is HOLD_NOT_ACTIVE', [{ void: true }, { capture: {} }, { void: true }], { outcomes: ['HoldChange', 'HoldNotActiveError', 'HoldNotActiveError'], hold: { status: 'VOIDED', capturedAmount: '0.00', remaining: '0.00' }, balance: { posted: '50.00', pending: '0.00', available: '50.00', version: 3 } }],
];

describe('capture rules', () => {
  it.each(rules)('%s', async (_name, steps, expected) => {
    const { accountId, holdId } = await heldAccount();
    const outcomes: string[] = [];
    for (const step of steps) outcomes.push(await run(holdId, step));
    expect(outcomes).toEqual(expected.outcomes);
    const { rows } = await t.database.pool.query(`select status, captured_minor::int as captured from holds where id = $1`, [holdId]);
    expect(rows[0].status).toBe(expected.hold.status);
    expect((rows[0].captured / 100).toFixed(2)).toBe(expected.hold.capturedAmount);
    expect(await balanceOf(accountId)).toMatchObject(expected.balance);
  });

  it('a capture is one transaction of four entries and one POSTED history line that shows the release', async () => {
    const { accountId, holdId } = await heldAccount();
    const result = dataOf(await capture(holdId, { amount: '12.00' })).captureHold;
    if (result.__typename !== 'HoldChange') throw new Error(result.__typename);
    expect(result.hold).toMatchObject({ status: 'CAPTURED', amount: '20.00', capturedAmount: '12.00', remaining: '0.00' });
    expect(result.hold.captures).toEqual([{ id: result.transaction!.id, kind: 'HOLD_CAPTURE', amount: '12.00' }]);
    expect(result.transaction).toMatchObject({ kind: 'HOLD_CAPTURE', status: 'POSTED', amount: '12.00' });
    expect(result.transaction!.entries.map(({ direction, amount, layer }) => ({ direction, amount, layer }))).toEqual([
      { direction: 'DEBIT', amount: '12.00', layer: 'POSTED' },
      { direction: 'CREDIT', amount: '12.00', layer: 'POSTED' },
      { direction: 'CREDIT', amount: '20.00', layer: 'PENDING' },
      { direction: 'DEBIT', amount: '20.00', layer: 'PENDING' },
    ]);
    expect(result.balances).toEqual([expect.objectContaining({ posted: '38.00', pending: '0.00', available: '38.00', version: 3 })]);
    const [line] = dataOf(await t.gql(LayeredHistoryDocument, { accountId, first: 1 }, alice.token)).transactions.edges.map((edge) => edge.node);
    expect(line).toMatchObject({ layer: 'POSTED', balanceAfter: '38.00', pendingAfter: '0.00', availableAfter: '38.00', version: 3 });
  });

  it('capture after expiresAt is HOLD_NOT_ACTIVE and posts nothing', async () => {
    const { accountId, holdId } = await heldAccount(1);
    await sleep(1_500);
    expect(dataOf(await capture(holdId, {})).captureHold).toMatchObject({ __typename: 'HoldNotActiveError', code: 'HOLD_NOT_ACTIVE' });
    expect(await balanceOf(accountId)).toMatchObject({ posted: '50.00' });
  });

  it('a retry of a capture with the same key replays it', async () => {
    const { accountId, holdId } = await heldAccount();
    const input = { holdId, amount: '5.00', final: false, idempotencyKey: randomUUID() };
    const first = dataOf(await t.gql(CaptureHoldDocument, { input }, alice.token)).captureHold;
    const again = dataOf(await t.gql(CaptureHoldDocument, { input }, alice.token)).captureHold;
    expect(first).toMatchObject({ __typename: 'HoldChange', replayed: false });
    expect(again).toMatchObject({ __typename: 'HoldChange', replayed: true });
    expect(await balanceOf(accountId)).toMatchObject({ posted: '45.00', pending: '15.00', version: 3 });
  });
});

describe('who may capture and void', () => {
  it('unknown and foreign holds are NOT_FOUND and change nothing; an operator may void, and capturing is FORBIDDEN', async () => {
    const { accountId, holdId } = await heldAccount();
    for (const unknown of [randomUUID(), 'not-an-id']) {
      expect(dataOf(await capture(unknown, {})).captureHold.__typename).toBe('NotFoundError');
      expect(dataOf(await voidIt(unknown)).voidHold.__typename).toBe('NotFoundError');
    }
    expect(dataOf(await capture(holdId, {}, bob)).captureHold.__typename).toBe('NotFoundError');
    expect(dataOf(await voidIt(holdId, bob)).voidHold.__typename).toBe('NotFoundError');
    const operator = await t.user('OPERATOR');
    expect(dataOf(await capture(holdId, {}, operator)).captureHold.__typename).toBe('ForbiddenError');
    expect(await balanceOf(accountId)).toMatchObject({ posted: '50.00', pending: '20.00', version: 2 });
    expect(dataOf(await voidIt(holdId, operator)).voidHold).toMatchObject({ __typename: 'HoldChange', hold: { status: 'VOIDED' } });
    expect(await balanceOf(accountId)).toMatchObject({ posted: '50.00', pending: '0.00', available: '50.00', version: 3 });
  });
});

describe('capture races', () => {
  it('20 concurrent captures of one hold: one wins, 19 HOLD_NOT_ACTIVE, posted once', async () => {
    const { accountId, holdId } = await heldAccount();
    const results = await Promise.all(Array.from({ length: 20 }, () => capture(holdId, {})));
    const outcomes = results.map((response) => dataOf(response).captureHold.__typename);
    expect(outcomes.filter((name) => name === 'HoldChange')).toHaveLength(1);
    expect(outcomes.filter((name) => name === 'HoldNotActiveError')).toHaveLength(19);
    expect(await balanceOf(accountId)).toMatchObject({ posted: '30.00', pending: '0.00', available: '30.00', version: 3 });
  });

  it('20 concurrent non-final captures of 1.00 on a 20.00 hold never capture more than it holds', async () => {
    const { accountId, holdId } = await heldAccount();
    const results = await Promise.all(Array.from({ length: 20 }, () => capture(holdId, { amount: '3.00', final: false })));
    const wins = results.map((response) => dataOf(response).captureHold.__typename).filter((name) => name === 'HoldChange').length;
    // 6 x 3.00 fit in 20.00; the 7th meets 2.00 remaining (VALIDATION) or, at the capture cap, a CAPTURED hold.
    const { rows } = await t.database.pool.query(`select captured_minor::int as captured, status from holds where id = $1`, [holdId]);
    expect(rows[0].captured).toBe(wins * 300);
    expect(rows[0].captured).toBeLessThanOrEqual(2000);
    const balance = await balanceOf(accountId);
    expect(balance.posted).toBe(`${50 - wins * 3}.00`);
  });
});

describe('Account.holds', () => {
  it("lists the account's holds newest first, filtered by status, and pending equals what the ACTIVE ones still hold; another customer sees no account", async () => {
    const { accountId, holdId } = await heldAccount();
    const second = dataOf(await t.gql(AuthorizeHoldDocument, { input: { accountId, amount: '7.00', channel: 'ACH', idempotencyKey: randomUUID() } }, alice.token)).authorizeHold;
    if (second.__typename !== 'HoldChange') throw new Error(second.__typename);
    await capture(holdId, { amount: '4.00', final: false });
    const all = dataOf(await t.gql(AccountHoldsDocument, { accountId }, alice.token)).account!.holds;
    expect(all.map((hold) => [hold.id, hold.status, hold.remaining])).toEqual([
      [second.hold.id, 'ACTIVE', '7.00'],
      [holdId, 'ACTIVE', '16.00'],
    ]);
    expect(all[1]!.captures).toHaveLength(1);
    expect(await balanceOf(accountId)).toMatchObject({ pending: '23.00' });
    await voidIt(second.hold.id);
    const voided = dataOf(await t.gql(AccountHoldsDocument, { accountId, status: ['VOIDED'] }, alice.token)).account!.holds;
    expect(voided.map((hold) => hold.id)).toEqual([second.hold.id]);
    expect(dataOf(await t.gql(AccountHoldsDocument, { accountId }, bob.token)).account).toBeNull();
  });
});
