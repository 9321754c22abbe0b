import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommands } from '../../src/ledger/commands/run-command.js';
import { withdrawCommand } from '../../src/ledger/commands/withdraw.js';
import { DEFAULT_AVAILABILITY_POLICY } from '../../src/ledger/decide/availability-policy.js';
import { DEFAULT_REVIEW_TIMEOUT_MS, type RiskCheck } from '../../src/ledger/risk/judge-movement.js';
import { replayRiskDecision } from '../../src/ledger/risk/replay-decision.js';
import { judgementRow } from '../../src/ledger/risk/store-judgement.js';
import { brokenRiskLaws } from '../helpers/risk-laws.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

/**
 * A movement the risk step lets through keeps its decision on its own transaction row
 * (migration 20261208100000): one column of a row the movement writes anyway, not a row of its
 * own. The decision is still a stored, append-only fact that replays, named by its transaction.
 */
let t: TestApp;
const RISK: RiskCheck = { calendar: DEFAULT_AVAILABILITY_POLICY.calendar, reviewTimeoutMs: DEFAULT_REVIEW_TIMEOUT_MS };

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  expect(await brokenRiskLaws(t.database.pool)).toEqual([]);
  await t.close();
});

async function postedWithdrawal(amount: string): Promise<{ transactionId: string; key: string; userId: string }> {
  const user = await t.user();
  const accountId = await t.account(user, { opening: '3000.00' });
  const key = randomUUID();
  const [result] = await runCommands(t.app.orm, [withdrawCommand({ userId: user.id, role: 'CUSTOMER' }, { accountId, amount, channel: 'ACH', idempotencyKey: key }, undefined, RISK)]);
  const outcome = result?.outcome as { ok: boolean; transactionId?: string };
  expect(outcome).toMatchObject({ ok: true, transactionId: expect.any(String) });
  return { transactionId: outcome.transactionId!, key, userId: user.id };
}

describe('an ALLOW decision on its transaction', () => {
  it('is stored on the transaction it let through, names its command, and replays to ALLOW by the transaction id', async () => {
    const { transactionId, key, userId } = await postedWithdrawal('12.34');
    const { rows } = await t.database.pool.query(`select risk_decision ->> 'action' as action, risk_decision -> 'features' ->> 'amount' as amount from ledger_transactions where id = $1`, [
      transactionId,
    ]);
    expect(rows).toEqual([{ action: 'ALLOW', amount: '1234' }]);
    expect((await t.database.pool.query('select count(*)::int as count from risk_decisions where idempotency_key = $1', [key])).rows).toEqual([{ count: 0 }]);

    const replay = await replayRiskDecision(t.app.orm.em.fork(), transactionId);
    expect(replay?.stored).toMatchObject({ id: transactionId, action: 'ALLOW', command: { userId, idempotencyKey: key } });
    expect(replay?.stored.ruleVersions.length).toBeGreaterThan(0);
    expect(replay?.stored.features.amount).toBe(1234n);
    expect(replay?.replayed.action).toBe('ALLOW');
    expect(replay?.replayed.verdicts).toEqual(replay?.stored.verdicts);
  });

  it('cannot be changed afterwards: the transaction row is append-only', async () => {
    const { transactionId } = await postedWithdrawal('1.00');
    await expect(t.database.pool.query(`update ledger_transactions set risk_decision = null where id = $1`, [transactionId])).rejects.toThrow(/append-only/);
  });

  it("stays out of the movement's journal record, which keeps the shape it had", async () => {
    const { transactionId } = await postedWithdrawal('2.00');
    const { rows } = await t.database.pool.query<{ payload: string }>(`select payload from journal_records where kind = 'MOVEMENT' and subject = $1`, [transactionId]);
    expect(rows).toHaveLength(1);
    const transaction = (JSON.parse(rows[0]!.payload) as { transaction: Record<string, unknown> }).transaction;
    expect(transaction).toMatchObject({ id: transactionId, kind: 'WITHDRAWAL' });
    expect(transaction).not.toHaveProperty('risk_decision');
  });

  it('only an ALLOW rides on a transaction: the database refuses any other action, the writer refuses to build one', async () => {
    const client = await t.database.pool.connect();
    try {
      await client.query('begin');
      const user = await t.user();
      await expect(
        client.query(
          `insert into ledger_transactions (id, kind, channel, status, amount_minor, currency, currency_exponent, idempotency_key, initiated_by, risk_decision)
           values ($1, 'WITHDRAWAL', 'ACH', 'POSTED', 100, 'USD', 2, $2, $3, '{"action": "REVIEW"}')`,
          [randomUUID(), randomUUID(), user.id],
        ),
      ).rejects.toMatchObject({ code: '23514', constraint: 'ledger_transactions_risk_decision_allowed' });
    } finally {
      await client.query('rollback');
      client.release();
    }
    const review = { action: 'REVIEW' } as Parameters<typeof judgementRow>[0];
    expect(() => judgementRow(review)).toThrow(/REVIEW decision cannot ride/);
  });
});
