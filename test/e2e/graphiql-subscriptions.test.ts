import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginDocument, DepositDocument } from '../generated/graphql.js';
import { dataOf } from '../helpers/graphql-client.js';
import { launchChromium } from '../helpers/chromium.js';
import { GraphiqlInBrowser } from '../helpers/graphiql-browser.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';

/**
 * Tally's GraphiQL in headless Chromium against the real server: the sign-in panel, a subscription
 * in one tab that survives a deposit run from a second tab and a pasted token, a refused socket
 * explained in the result pane, and renewal before expiry.
 */
/** Where to save a picture of signed-in GraphiQL with a live subscription, when asked to. */
const SCREENSHOT = process.env.GRAPHIQL_SCREENSHOT;
/** The machine is shared and Chromium is heavy: generous bounds, polled. */
const SLOW = { timeout: 30_000, interval: 200 };
/** Loading a 9 MB page and a dozen steps in a browser: minutes, not the suite's 60 s, on a busy machine. */
const BROWSER_TEST_TIMEOUT_MS = 240_000;

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(() => browser?.close());

const watchQuery = (accountId: string) =>
  `subscription Watch { balanceUpdated(accountId: "${accountId}", afterVersion: 0) { version balance { posted } } }`;
/** The customer's own deposit from GraphiQL: a mobile check (cash is posted by the cash service). */
const depositMutation = (accountId: string, amount: string) =>
  `mutation Deposit { deposit(input: { accountId: "${accountId}", amount: "${amount}", channel: CHECK, idempotencyKey: "${randomUUID()}" }) { __typename ... on MoneyMovement { replayed balances { posted version } } ... on Error { code message } } }`;

async function freshToken(t: TestApp, user: TestUser): Promise<string> {
  const login = dataOf(await t.gql(LoginDocument, { username: user.username, password: user.password })).generateToken;
  if (login.__typename !== 'AuthTokens') throw new Error(`login failed: ${JSON.stringify(login)}`);
  return login.accessToken;
}

/** A cash deposit to the user's account, posted by the cash service. */
async function depositFromNode(t: TestApp, _owner: TestUser, accountId: string, amount: string) {
  const result = dataOf(await t.gql(DepositDocument, { input: { accountId, amount, channel: 'CASH', idempotencyKey: randomUUID() } }, (await t.cashier()).token)).deposit;
  expect(result.__typename).toBe('MoneyMovement');
}

describe('GraphiQL with the sign-in panel', () => {
  let t: TestApp;
  let alice: TestUser;
  let accountId: string;

  beforeAll(async () => {
    t = await startTestApp();
    alice = await t.user();
    accountId = await t.account(alice, { opening: '10.00' });
  });
  afterAll(() => t?.close());

  it('signs in through the panel; a subscription in tab 1 sees a deposit run from tab 2, then continues on a pasted token; signing out stops it', async () => {
    const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
    const graphiql = new GraphiqlInBrowser(page);
    await graphiql.open(t.url);
    await graphiql.signIn(alice.username, alice.password);

    await graphiql.setQuery(watchQuery(accountId));
    await graphiql.prettify();
    await graphiql.run();
    await expect.poll(() => graphiql.response(), SLOW).toContain('"version": 1');
    expect(graphiql.connectTokens()).toEqual([expect.stringMatching(/^Bearer ey/)]);

    // A new tab has no headers of its own; the panel's token goes with its requests.
    await graphiql.newTab();
    await graphiql.setQuery(depositMutation(accountId, '25.00'));
    await graphiql.run();
    await expect.poll(() => graphiql.response(), SLOW).toContain('"replayed": false');
    expect(await graphiql.response()).toContain('"posted": "35.00"');

    // Back in tab 1 the same subscription (never stopped, never subscribed again) shows the update.
    await graphiql.switchToTab(0);
    await expect.poll(() => graphiql.response(), SLOW).toContain('"version": 2');
    expect(await graphiql.response()).toContain('"posted": "35.00"');
    expect(graphiql.countSent('subscribe')).toBe(1);
    expect(graphiql.countSent('complete')).toBe(0);
    if (SCREENSHOT) {
      await graphiql.scrollQueryToStart();
      await page.screenshot({ path: SCREENSHOT });
    }

    // A pasted token: the socket reconnects with it and the subscription carries on.
    const pasted = await freshToken(t, alice);
    await graphiql.pasteToken(pasted);
    await expect.poll(() => graphiql.connectTokens().at(-1), SLOW).toBe(`Bearer ${pasted}`);
    await expect.poll(() => graphiql.countSent('subscribe'), SLOW).toBe(2);
    await depositFromNode(t, alice, accountId, '5.00');
    await expect.poll(() => graphiql.response(), SLOW).toContain('"version": 3');
    expect(await graphiql.response()).toContain('"posted": "40.00"');

    // Signing out reconnects without a token: the balance stops streaming and the pane says why.
    await graphiql.signOut();
    await expect.poll(() => graphiql.response(), SLOW).toContain('refused the live connection (4403');
    expect(graphiql.connectTokens().at(-1)).toBe('');
    await page.close();
  }, BROWSER_TEST_TIMEOUT_MS);

  it('a subscription run before signing in shows why the socket was refused instead of spinning; a wrong password is refused in the panel', async () => {
    const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
    const graphiql = new GraphiqlInBrowser(page);
    await graphiql.open(t.url);
    await graphiql.setQuery(watchQuery(accountId));
    await graphiql.run();
    await expect.poll(() => graphiql.response(), SLOW).toContain('refused the live connection (4403');
    expect(graphiql.connectTokens()).toEqual(['']);
    // The run button is a run button again: nothing is left spinning.
    await page.getByRole('button', { name: /^Execute query/ }).waitFor();

    // A wrong password is refused in the panel, which stays signed out.
    await graphiql.submitSignIn(alice.username, 'not-the-password');
    await expect.poll(() => page.getByRole('region', { name: 'Tally sign-in' }).getByRole('alert').innerText(), SLOW).toMatch(/^Sign-in failed: /);
    expect(await page.getByTestId('tally-signed-in').count()).toBe(0);
    await page.close();
  }, BROWSER_TEST_TIMEOUT_MS);
});

describe('GraphiQL renews the access token before it expires', () => {
  let t: TestApp;
  let alice: TestUser;
  let accountId: string;

  beforeAll(async () => {
    // 10 s tokens: renewed at 8 s, a fifth of their life ahead of the server's 4401 at expiry.
    t = await startTestApp({ environment: { ACCESS_TOKEN_TTL_SECONDS: '10' } });
    alice = await t.user();
    accountId = await t.account(alice, { opening: '10.00' });
  });
  afterAll(() => t?.close());

  it('renews with the refresh token, reconnects the socket with the new token, and the subscription goes on', async () => {
    const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
    const graphiql = new GraphiqlInBrowser(page);
    await graphiql.open(t.url);
    await graphiql.signIn(alice.username, alice.password);
    await graphiql.setQuery(watchQuery(accountId));
    await graphiql.run();
    await expect.poll(() => graphiql.response(), SLOW).toContain('"version": 1');
    const first = graphiql.connectTokens()[0];

    await expect.poll(() => new Set(graphiql.connectTokens()).size, { timeout: 40_000, interval: 500 }).toBeGreaterThan(1);
    expect(graphiql.connectTokens().at(-1)).not.toBe(first);

    await depositFromNode(t, { ...alice, token: await freshToken(t, alice) }, accountId, '1.00');
    await expect.poll(() => graphiql.response(), SLOW).toContain('"version": 2');
    expect(await graphiql.response()).not.toContain('4401');
    await page.close();
  }, BROWSER_TEST_TIMEOUT_MS);
});
