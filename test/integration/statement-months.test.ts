import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StatementDocument, StatementMonthsDocument } from '../generated/graphql.js';
import { dataOf } from '../helpers/graphql-client.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';

/**
 * statementMonths: the months an app offers for download, counted in the bank's time zone. A zone
 * 14 hours ahead of UTC makes the difference from UTC's month show for 14 hours of every month's
 * end; the answer must agree with what the statement itself accepts.
 */
const ZONE = 'Pacific/Kiritimati';

let t: TestApp;
let alice: TestUser;
let account: string;

beforeAll(async () => {
  t = await startTestApp({ environment: { BANK_TIME_ZONE: ZONE } });
  alice = await t.user();
  account = await t.account(alice, { opening: '10.00' });
});
afterAll(() => t?.close());

describe('statementMonths', () => {
  it("lists the month running in the bank's zone and the eleven before it, newest first; each has a statement, the month after has not begun", async () => {
    const running = DateTime.now().setZone(ZONE).startOf('month');
    const months = dataOf(await t.gql(StatementMonthsDocument, {}, alice.token)).statementMonths;
    expect(months).toEqual(Array.from({ length: 12 }, (_, back) => running.minus({ months: back }).toFormat('yyyy-MM')));
    const newest = dataOf(await t.gql(StatementDocument, { accountId: account, month: months[0]! }, alice.token)).statement;
    expect(newest).toMatchObject({ month: months[0], closing: '10.00' });
    const next = await t.gql(StatementDocument, { accountId: account, month: running.plus({ months: 1 }).toFormat('yyyy-MM') }, alice.token);
    expect(next.errors?.[0]?.extensions?.code).toBe('VALIDATION');
  });

  it('needs a signed-in caller, like every query', async () => {
    const answer = await t.gql(StatementMonthsDocument, {});
    expect(answer.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(answer.data?.statementMonths ?? null).toBeNull();
  });
});
