import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { depositCommand } from '../../src/ledger/commands/deposit.js';
import { withdrawCommand } from '../../src/ledger/commands/withdraw.js';
import { runSystemCommands } from '../../src/ledger/system/run-system-commands.js';
import { SYSTEM_ACTOR, SYSTEM_USERNAME, systemKey } from '../../src/ledger/system/system-actor.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';
import { dataOf } from '../helpers/graphql-client.js';
import { BalanceDocument, LoginDocument } from '../generated/graphql.js';

let t: TestApp;
let alice: TestUser;

beforeAll(async () => {
  t = await startTestApp();
  alice = await t.user();
});
afterAll(() => t.close());

const posted = async (accountId: string) => dataOf(await t.gql(BalanceDocument, { accountId }, alice.token)).balance?.posted;
const transactionsUnder = async (key: string) =>
  (await t.database.pool.query('select count(*)::int as count, min(initiated_by::text) as initiator from ledger_transactions where idempotency_key = $1', [key])).rows[0];
/** A scheduled credit the system makes on a customer's account, keyed by what it is for. */
const scheduledCredit = (accountId: string, key: string) => depositCommand(SYSTEM_ACTOR, { accountId, amount: '1.25', channel: 'ACH', idempotencyKey: key });

describe('the system actor', () => {
  it('running the same system command twice moves money once: the second run replays the first', async () => {
    const accountId = await t.account(alice);
    const key = systemKey('release', accountId);
    const [first] = await runSystemCommands(t.app.orm, [scheduledCredit(accountId, key)]);
    const [second] = await runSystemCommands(t.app.orm, [scheduledCredit(accountId, key)]);
    expect(first).toMatchObject({ replayed: false, outcome: { ok: true } });
    expect(second).toEqual({ outcome: first.outcome, replayed: true });
    expect(await transactionsUnder(key)).toEqual({ count: 1, initiator: SYSTEM_ACTOR.userId });
    expect(await posted(accountId)).toBe('1.25');
  });

  it('a step that crashed before its commit leaves nothing, and its retry happens once', async () => {
    const accountId = await t.account(alice);
    const key = systemKey('release', `${accountId}-crash`);
    await expect(
      runSystemCommands(t.app.orm, [scheduledCredit(accountId, key)], {
        withinUnit: async () => {
          throw new Error('the process died before commit');
        },
      }),
    ).rejects.toThrow('the process died');
    expect(await transactionsUnder(key)).toMatchObject({ count: 0 });
    await runSystemCommands(t.app.orm, [scheduledCredit(accountId, key)]);
    await runSystemCommands(t.app.orm, [scheduledCredit(accountId, key)]);
    expect(await transactionsUnder(key)).toMatchObject({ count: 1 });
    expect(await posted(accountId)).toBe('1.25');
  });

  it('takes only commands of the system actor under a deterministic key', async () => {
    const accountId = await t.account(alice);
    const customers = withdrawCommand({ userId: alice.id, role: 'CUSTOMER' }, { accountId, amount: '1.00', channel: 'ACH', idempotencyKey: systemKey('release', accountId) });
    await expect(runSystemCommands(t.app.orm, [customers])).rejects.toThrow(/system actor/);
    await expect(runSystemCommands(t.app.orm, [scheduledCredit(accountId, 'a-random-key')])).rejects.toThrow(/deterministic key/);
    expect(() => systemKey('Expire!', accountId)).toThrow();
  });

  it('is a user row nobody can sign in as', async () => {
    const { rows } = await t.database.pool.query('select username, role from users where id = $1', [SYSTEM_ACTOR.userId]);
    expect(rows).toEqual([{ username: SYSTEM_USERNAME, role: 'OPERATOR' }]);
    const login = dataOf(await t.gql(LoginDocument, { username: SYSTEM_USERNAME, password: 'any password at all' }));
    expect(login.generateToken.__typename).not.toBe('AuthTokens');
  });
});
