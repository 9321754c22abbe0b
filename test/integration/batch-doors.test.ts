import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';
import { dataOf } from '../helpers/graphql-client.js';
import { brokenLaws } from '../helpers/laws.js';
import { BalanceDocument } from '../generated/graphql.js';

let t: TestApp;
let alice: TestUser;
let cashier: TestUser;

beforeAll(async () => {
  t = await startTestApp();
  await t.disableRiskRules();
  alice = await t.user();
  cashier = await t.cashier();
});
afterAll(() => t.close());

const posted = async (accountId: string) => dataOf(await t.gql(BalanceDocument, { accountId }, alice.token)).balance?.posted;
const send = (body: string, { token = cashier.token, key = randomUUID(), query = '', type = 'application/x-ndjson' } = {}) =>
  fetch(`${t.url}/v1/batches${query}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': type, 'idempotency-key': key }, body });

describe('POST /v1/batches', () => {
  it('a payroll file as JSON lines: every deposit posts, answered in input order; the same file again replays', async () => {
    const accounts = [await t.account(alice), await t.account(alice), await t.account(alice)];
    const lines = accounts.map((accountId, index) => JSON.stringify({ deposit: { accountId, amount: `${index + 1}00.00`, channel: 'CASH', idempotencyKey: randomUUID() } }));
    const key = randomUUID();
    const response = await send(`${lines.join('\n')}\n`, { key });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { items: { index: number; ok: boolean }[] };
    expect(body).toMatchObject({ committed: 3, failed: 0, replayed: false });
    expect(body.items.map((item: { index: number; ok: boolean }) => [item.index, item.ok])).toEqual([[0, true], [1, true], [2, true]]);
    expect(await Promise.all(accounts.map(posted))).toEqual(['100.00', '200.00', '300.00']);
    const again = await (await send(`${lines.join('\n')}\n`, { key })).json();
    expect(again).toMatchObject({ committed: 3, replayed: true });
    expect(await Promise.all(accounts.map(posted))).toEqual(['100.00', '200.00', '300.00']);
  });

  it('the same file as CSV, atomic: a failing row rolls every row back', async () => {
    const from = await t.account(alice, { opening: '10.00' });
    const to = await t.account(await t.user());
    const csv = [
      'kind,fromAccountId,toAccountId,amount,idempotencyKey',
      `transfer,${from},${to},4.00,${randomUUID()}`,
      `transfer,${from},${to},40.00,${randomUUID()}`,
    ].join('\n');
    const body = await (await send(csv, { token: alice.token, type: 'text/csv', query: '?atomic=true' })).json();
    expect(body).toMatchObject({
      committed: 0,
      failed: 2,
      items: [{ index: 0, ok: false, code: 'BATCH_ABORTED', failedIndex: 1 }, { index: 1, ok: false, code: 'INSUFFICIENT_FUNDS' }],
    });
    expect(await posted(from)).toBe('10.00');
    // Not atomic: the first row posts alone.
    const partial = await (await send(csv, { token: alice.token, type: 'text/csv' })).json();
    expect(partial).toMatchObject({ committed: 1, failed: 1 });
    expect(await posted(from)).toBe('6.00');
    expect(await brokenLaws(t.database.pool)).toEqual([]);
  });

  it('refusals: no token 401, no key 400, a malformed line 400 naming it, 1,001 lines 400, an unknown column 400; nothing moves', async () => {
    const account = await t.account(alice);
    const line = () => JSON.stringify({ deposit: { accountId: account, amount: '1.00', channel: 'CASH', idempotencyKey: randomUUID() } });
    expect((await fetch(`${t.url}/v1/batches`, { method: 'POST', body: line() })).status).toBe(401);
    expect((await fetch(`${t.url}/v1/batches`, { method: 'POST', headers: { authorization: `Bearer ${cashier.token}` }, body: line() })).status).toBe(400);
    const malformed = await send(`${line()}\n{not json\n`);
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { code: 'VALIDATION', field: 'line 2' } });
    const tooMany = await send(Array.from({ length: 1001 }, line).join('\n'));
    expect(tooMany.status).toBe(400);
    expect(await tooMany.json()).toMatchObject({ error: { code: 'VALIDATION', field: 'items' } });
    const unknownColumn = await send(`kind,accountId,amount,channel,idempotencyKey,color\ndeposit,${account},1.00,CASH,${randomUUID()},red`, { type: 'text/csv' });
    expect(unknownColumn.status).toBe(400);
    const twoKinds = await send(JSON.stringify({ deposit: JSON.parse(line()).deposit, voidHold: { holdId: randomUUID(), idempotencyKey: randomUUID() } }));
    expect(await twoKinds.json()).toMatchObject({ error: { code: 'VALIDATION', field: 'items[0]' } });
    expect(await posted(account)).toBe('0.00');
  });
});
