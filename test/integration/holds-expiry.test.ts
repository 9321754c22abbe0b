import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthorizeHoldDocument, BalanceDocument, LayeredHistoryDocument } from '../generated/graphql.js';
import { dataOf } from '../helpers/graphql-client.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';
import { captureHold, expireHoldCommand } from '../../src/ledger/commands/change-hold.js';
import { runSystemCommands } from '../../src/ledger/system/run-system-commands.js';

/** Expiry (issue 8 §3): the scheduler in every process releases holds past their expiry, once. */
let t: TestApp;
let alice: TestUser;

beforeAll(async () => {
  t = await startTestApp();
  alice = await t.user();
});
afterAll(() => t.close());

async function hold(accountId: string, expiresInSeconds: number): Promise<{ id: string; expiresAt: Date }> {
  const result = dataOf(
    await t.gql(AuthorizeHoldDocument, { input: { accountId, amount: '10.00', channel: 'ACH', expiresInSeconds, idempotencyKey: randomUUID() } }, alice.token),
  ).authorizeHold;
  if (result.__typename !== 'HoldChange') throw new Error(result.__typename);
  return { id: result.hold.id, expiresAt: new Date(result.hold.expiresAt!) };
}
const statusOf = async (holdId: string) => (await t.database.pool.query('select status from holds where id = $1', [holdId])).rows[0].status as string;

describe('hold expiry', () => {
  it('the scheduler releases a hold past its expiry: EXPIRED, pending back to 0, one PENDING history line, under the system actor', async () => {
    const accountId = await t.account(alice, { opening: '50.00' });
    const { id } = await hold(accountId, 1);
    const deadline = Date.now() + 15_000;
    while ((await statusOf(id)) === 'ACTIVE' && Date.now() < deadline) await sleep(200);
    expect(await statusOf(id)).toBe('EXPIRED');
    const balance = dataOf(await t.gql(BalanceDocument, { accountId }, alice.token)).balance!;
    expect(balance).toMatchObject({ posted: '50.00', pending: '0.00', available: '50.00', version: 3 });
    const [line] = dataOf(await t.gql(LayeredHistoryDocument, { accountId, first: 1 }, alice.token)).transactions.edges.map((edge) => edge.node);
    expect(line).toMatchObject({ layer: 'PENDING', pendingAfter: '0.00', availableAfter: '50.00', transaction: { kind: 'HOLD_RELEASE' } });
    const { rows } = await t.database.pool.query(
      `select u.username, ht.step from hold_transactions ht join ledger_transactions lt on lt.id = ht.transaction_id join users u on u.id = lt.initiated_by where ht.hold_id = $1`,
      [id],
    );
    expect(rows).toEqual([{ username: '@system', step: 'EXPIRE' }]);
  });

  it('an expiry retried with its key replays; a hold not yet expired is refused and stays ACTIVE', async () => {
    const accountId = await t.account(alice, { opening: '50.00' });
    const later = await hold(accountId, 3600);
    const [early] = await runSystemCommands(t.app.orm, [expireHoldCommand(later.id)]);
    expect(early.outcome).toMatchObject({ ok: false, code: 'VALIDATION' });
    expect(await statusOf(later.id)).toBe('ACTIVE');
    const clock = () => new Date(later.expiresAt.getTime() + 1_000);
    const [first] = await runSystemCommands(t.app.orm, [expireHoldCommand(later.id)], { clock });
    const [again] = await runSystemCommands(t.app.orm, [expireHoldCommand(later.id)], { clock });
    expect(first).toMatchObject({ replayed: false, outcome: { ok: true } });
    expect(again).toMatchObject({ replayed: true, outcome: { ok: true } });
    expect(await statusOf(later.id)).toBe('EXPIRED');
  });

  it('capture racing expiry resolves to exactly one of them, every time', async () => {
    const accountId = await t.account(alice, { opening: '500.00' });
    const actor = { userId: alice.id, role: 'CUSTOMER' as const };
    for (let round = 0; round < 10; round += 1) {
      const { id, expiresAt } = await hold(accountId, 3600);
      // The capture comes a millisecond before the expiry, the expiry just after: whichever locks the hold first wins.
      const [captured, [expired]] = await Promise.all([
        captureHold(t.app.orm, actor, { holdId: id, idempotencyKey: randomUUID() }, { clock: () => new Date(expiresAt.getTime() - 1) }),
        runSystemCommands(t.app.orm, [expireHoldCommand(id)], { clock: () => new Date(expiresAt.getTime() + 1) }),
      ]);
      const wins = [captured.outcome.ok, expired.outcome.ok].filter(Boolean).length;
      expect(wins).toBe(1);
      const loser = captured.outcome.ok ? expired.outcome : captured.outcome;
      expect(loser).toMatchObject({ ok: false, code: 'HOLD_NOT_ACTIVE' });
      expect(await statusOf(id)).toBe(captured.outcome.ok ? 'CAPTURED' : 'EXPIRED');
    }
    const { rows } = await t.database.pool.query(`select pending_minor::int as pending from accounts where id = $1`, [accountId]);
    expect(rows[0].pending).toBe(0);
  });
});
