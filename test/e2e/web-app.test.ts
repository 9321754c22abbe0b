import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { AxeBuilder } from '@axe-core/playwright';
import { DateTime } from 'luxon';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from 'otplib';
import { AuthorizeHoldDocument, ConfirmTwoFactorDocument, DepositDocument, EnrollTwoFactorDocument } from '../generated/graphql.js';
import { dataOf } from '../helpers/graphql-client.js';
import { launchChromium } from '../helpers/chromium.js';
import { brokenLaws } from '../helpers/laws.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';
import { ensureWebAppBuilt } from '../helpers/web-app-build.js';
import { WebAppInBrowser } from '../helpers/web-app-browser.js';

/**
 * The customer web app (web/, served at /app) in headless Chromium against the real server on
 * real PostgreSQL: sign-in, live balances, a transfer sent once however often it is clicked or
 * retried, paying someone by account number (seen live in the payee's open app), a line's details,
 * a check deposit's hold, statement downloads, a phone-width layout, and an accessibility scan. Screenshots go to test-artifacts/.
 */
const ARTIFACTS = 'test-artifacts';
/** The machine is shared and Chromium is heavy: generous bounds for page steps, polled. */
const SLOW = { timeout: 30_000, interval: 100 };
const BROWSER_TEST_TIMEOUT_MS = 240_000;

let browser: Browser;
beforeAll(async () => {
  ensureWebAppBuilt();
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
});
afterAll(() => browser?.close());

describe('the web app', () => {
  let t: TestApp;
  let alice: TestUser;
  let checking: string;
  let savings: string;

  beforeAll(async () => {
    t = await startTestApp();
    // Transfers between one's own accounts are what this file is about, not the risk rules.
    await t.disableRiskRules();
    alice = await t.user();
    checking = await t.account(alice, { opening: '1250.00' });
    savings = await t.account(alice, { type: 'SAVINGS' });
  });
  afterAll(() => t?.close());

  async function signedIn(viewport = { width: 1280, height: 900 }, user: TestUser = alice): Promise<{ page: Page; app: WebAppInBrowser }> {
    // Each page in a context of its own: two customers' apps open at once share no session.
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    page.on('close', () => void context.close());
    const app = new WebAppInBrowser(page);
    await app.open(t.url);
    await app.signIn(user.username, user.password);
    return { page, app };
  }

  /** The answer line of one form (each form is a region named by its heading, with its own status). */
  const formStatus = (page: Page, form: string) => page.getByRole('region', { name: form }).getByRole('status');
  const moveMoneyStatus = (page: Page) => formStatus(page, 'Move money');

  async function accountNumberOf(accountId: string): Promise<string> {
    const { rows } = await t.database.pool.query<{ number: string }>(`select number from accounts where id = $1`, [accountId]);
    return rows[0]!.number;
  }

  async function postedInSql(accountId: string): Promise<string> {
    const { rows } = await t.database.pool.query<{ posted: string }>(
      `select coalesce(sum(case when direction = 'CREDIT' then amount_minor else -amount_minor end), 0)::text as posted from entries where account_id = $1 and layer = 'POSTED'`,
      [accountId],
    );
    return rows[0]!.posted;
  }

  it('a customer signs in and sees a balance; a cash deposit made by the cash service appears within a second, without a reload', async () => {
    const { page, app } = await signedIn();
    await expect.poll(() => app.available(checking), SLOW).toBe('1,250.00 USD');
    expect(await app.posted(checking)).toBe('1,250.00 USD');
    // Both accounts' feeds are subscribed before the deposit, so it arrives live (not in a first read).
    await expect.poll(() => app.countSent('subscribe'), SLOW).toBe(2);

    const deposit = dataOf(await t.gql(DepositDocument, { input: { accountId: checking, amount: '40.50', channel: 'CASH', idempotencyKey: randomUUID() } }, (await t.cashier()).token)).deposit;
    expect(deposit.__typename).toBe('MoneyMovement');
    const committed = Date.now();
    await expect.poll(() => app.available(checking), { timeout: 1_000, interval: 25 }).toBe('1,290.50 USD');
    expect(Date.now() - committed).toBeLessThan(1_000);
    // The history's first page is read again with the new version: the deposit is its first line.
    await expect.poll(() => page.locator('.history li').first().innerText(), SLOW).toContain('+40.50 USD');
    await page.screenshot({ path: `${ARTIFACTS}/web-accounts.png`, fullPage: true });

    // While signed in, only the refresh token and its expiry are stored (sessionStorage); the access token lives in memory.
    expect(await page.evaluate('({ keys: Object.keys(JSON.parse(sessionStorage.getItem("tally.session"))), local: localStorage.length })')).toEqual({ keys: ['refreshToken', 'refreshTokenExpiresAt'], local: 0 });
    // A reload keeps the session (refresh token in sessionStorage); signing out ends it and forgets it.
    await page.reload();
    await page.getByRole('heading', { name: 'Your accounts' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    // Evaluated in the page (the test's own TypeScript has no DOM types).
    expect(await page.evaluate('({ session: sessionStorage.length, local: localStorage.length })')).toEqual({ session: 0, local: 0 });
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.close();
  }, BROWSER_TEST_TIMEOUT_MS);

  it('a double-clicked transfer moves money once; a retry after a lost answer reuses the key and moves nothing again', async () => {
    const { page, app } = await signedIn();
    const before = { checking: await postedInSql(checking), savings: await postedInSql(savings) };
    await page.getByLabel('Amount (USD)').fill('30.00');
    await page.getByRole('button', { name: 'Send' }).dblclick();
    await expect.poll(() => moveMoneyStatus(page).innerText(), SLOW).toContain('Sent 30.00 USD');
    await expect.poll(() => app.available(savings), SLOW).toBe('30.00 USD');
    expect(await postedInSql(savings)).toBe(String(Number(before.savings) + 3000));
    expect(await postedInSql(checking)).toBe(String(Number(before.checking) - 3000));

    // The server makes the transfer but its answer is lost on the way: the customer presses Send again.
    let lost = 0;
    await page.route('**/graphql', async (route) => {
      if (lost === 0 && (route.request().postData() ?? '').includes('TransferBetweenOwnAccounts')) {
        lost += 1;
        await route.fetch();
        await route.abort('failed');
        return;
      }
      await route.continue();
    });
    await page.getByLabel('Amount (USD)').fill('12.25');
    await page.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => moveMoneyStatus(page).innerText(), SLOW).toContain('will not be made twice');
    await page.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => moveMoneyStatus(page).innerText(), SLOW).toContain('Sent 12.25 USD');
    expect(lost).toBe(1);
    await expect.poll(() => app.available(savings), SLOW).toBe('42.25 USD');
    expect(await postedInSql(savings)).toBe(String(Number(before.savings) + 4225));
    const { rows } = await t.database.pool.query<{ transfers: number }>(
      `select count(*)::int as transfers from ledger_transactions t where t.kind = 'TRANSFER' and exists (select 1 from entries e where e.transaction_id = t.id and e.account_id = $1)`,
      [savings],
    );
    expect(rows[0]!.transfers).toBe(2);

    // A refusal is told in words: more than is available.
    await page.getByLabel('Amount (USD)').fill('999999.00');
    await page.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => moveMoneyStatus(page).innerText(), SLOW).toContain('There is not enough available money');
    expect(await brokenLaws(t.database.pool)).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}/web-transfer.png`, fullPage: true });
    await page.close();
  }, BROWSER_TEST_TIMEOUT_MS);

  it('with two-factor sign-in on, the password is followed by the code step; a wrong code is refused in words, the current one signs in', async () => {
    const bob = await t.user();
    const bobsAccount = await t.account(bob, { opening: '7.00' });
    const enrolled = dataOf(await t.gql(EnrollTwoFactorDocument, { password: bob.password }, bob.token)).enrollTwoFactor;
    if (enrolled.__typename !== 'TwoFactorEnrollment') throw new Error(`enrolment failed: ${JSON.stringify(enrolled)}`);
    const now = Math.floor(Date.now() / 1000);
    // Confirmed with the previous step's code, so the current one is still unused for the sign-in.
    const confirmed = dataOf(await t.gql(ConfirmTwoFactorDocument, { password: bob.password, otp: await generate({ secret: enrolled.secret, epoch: now - 30 }) }, bob.token)).confirmTwoFactor;
    expect(confirmed).toMatchObject({ enabled: true });

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const app = new WebAppInBrowser(page);
    await app.open(t.url);
    await page.getByLabel('Username').fill(bob.username);
    await page.getByLabel('Password').fill(bob.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const code = page.getByLabel('Code from your authenticator app');
    await code.waitFor();
    expect(await page.getByRole('alert').count()).toBe(0);
    const current = await generate({ secret: enrolled.secret, epoch: Math.floor(Date.now() / 1000) });
    await code.fill(current === '123456' ? '654321' : '123456');
    await page.getByRole('button', { name: 'Confirm code' }).click();
    await expect.poll(() => page.getByRole('alert').innerText(), SLOW).toContain('That code did not work');
    await code.fill(current);
    await page.getByRole('button', { name: 'Confirm code' }).click();
    await page.getByRole('heading', { name: 'Your accounts' }).waitFor();
    await expect.poll(() => app.available(bobsAccount), SLOW).toBe('7.00 USD');
    await page.close();
  }, BROWSER_TEST_TIMEOUT_MS);

  it("pays someone by account number: the masked name is confirmed before sending, a double-click pays once, and the payee's open app shows the money live", async () => {
    const bob = await t.user();
    const bobsAccount = await t.account(bob);
    const bobsApp = await signedIn({ width: 1280, height: 900 }, bob);
    await expect.poll(() => bobsApp.app.available(bobsAccount), SLOW).toBe('0.00 USD');
    await expect.poll(() => bobsApp.app.countSent('subscribe'), SLOW).toBe(1);

    const { page } = await signedIn();
    const before = await postedInSql(checking);
    const pay = page.getByRole('region', { name: 'Pay someone' });
    // A number of the wrong shape is refused in words before any look-up.
    await pay.getByLabel('Their account number').fill('123');
    await pay.getByRole('button', { name: 'Find account' }).click();
    await expect.poll(() => formStatus(page, 'Pay someone').innerText(), SLOW).toContain('11-digit account number');
    const number = await accountNumberOf(bobsAccount);
    // A well-formed number that is no open account's: said in words, nothing to confirm.
    await pay.getByLabel('Their account number').fill(number === '99999999999' ? '99999999998' : '99999999999');
    await pay.getByRole('button', { name: 'Find account' }).click();
    await expect.poll(() => formStatus(page, 'Pay someone').innerText(), SLOW).toContain('No open account has this number');
    // Typed the way people write it, with spaces.
    await pay.getByLabel('Their account number').fill(`${number.slice(0, 4)} ${number.slice(4)}`);
    await pay.getByRole('button', { name: 'Find account' }).click();
    const shown = pay.getByTestId('payee-name');
    await shown.waitFor();
    // The masked name (the API's shape: an initial then stars), never the username itself.
    const masked = (await shown.innerText()).replace(/^Paying\s+/, '').replace(/\s+····\d{4}$/, '');
    expect(masked).toMatch(/^\S\*\*\*/);
    expect(masked).not.toContain(bob.username);
    expect(await shown.innerText()).toContain(`····${number.slice(-4)}`);
    await page.screenshot({ path: `${ARTIFACTS}/web-pay-confirm.png`, fullPage: true });

    await pay.getByLabel('Amount to pay (USD)').fill('15.00');
    await pay.getByRole('button', { name: `Pay ${masked}` }).dblclick();
    await expect.poll(() => formStatus(page, 'Pay someone').innerText(), SLOW).toContain(`Paid 15.00 USD to ${masked}`);
    // Bob's app, open all along, shows the money without a reload.
    await expect.poll(() => bobsApp.app.available(bobsAccount), SLOW).toBe('15.00 USD');
    expect(await postedInSql(bobsAccount)).toBe('1500');
    expect(await postedInSql(checking)).toBe(String(Number(before) - 1500));
    expect(await brokenLaws(t.database.pool)).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}/web-pay-done.png`, fullPage: true });
    await bobsApp.page.screenshot({ path: `${ARTIFACTS}/web-payee-live.png`, fullPage: true });

    // A line's details: the payment's entries, one debit here and one credit to another customer.
    await page.locator('.history li').first().getByRole('button').click();
    const details = page.getByTestId('line-details');
    await expect.poll(() => details.innerText(), SLOW).toContain("Another customer's account");
    expect(await details.getByRole('row').count()).toBe(3);
    await bobsApp.page.close();
    await page.close();
  }, BROWSER_TEST_TIMEOUT_MS);

  it('a mobile check deposit shows its hold: posted at once, available unchanged, the schedule of its release; its line opens to the same schedule', async () => {
    const { page, app } = await signedIn();
    await expect.poll(() => app.countSent('subscribe'), SLOW).toBe(2);
    const [availableBefore, postedBefore] = [await app.available(checking), await postedInSql(checking)];
    const deposit = page.getByRole('region', { name: 'Deposit a check' });
    await deposit.getByLabel('Amount of the check (USD)').fill('500.00');
    await deposit.getByLabel('Check number (optional)').fill('1042');
    // Double-clicked: one key for the intent, so the check is deposited once (the SQL below).
    await deposit.getByRole('button', { name: 'Deposit check' }).dblclick();
    const outcome = deposit.getByTestId('check-outcome');
    await expect.poll(() => outcome.innerText(), SLOW).toContain('Deposited 500.00 USD');
    // An account younger than 30 days: the first 275.00 on the next business day, the rest on the ninth.
    expect(await outcome.getByRole('listitem').allInnerTexts()).toEqual([expect.stringMatching(/^275\.00 USD held until /), expect.stringMatching(/^225\.00 USD held until /)]);
    expect(await postedInSql(checking)).toBe(String(Number(postedBefore) + 50000));
    // The live balance: posted up by the check, available where it was (the hold), pending the check.
    await expect.poll(() => app.posted(checking), SLOW).not.toBe(availableBefore);
    expect(await app.available(checking)).toBe(availableBefore);
    expect(await app.card(checking).getByTestId('pending').innerText()).toBe('500.00 USD');
    await page.screenshot({ path: `${ARTIFACTS}/web-check-deposit.png`, fullPage: true });

    await expect.poll(() => page.locator('.history li').first().innerText(), SLOW).toContain('Check 1042');
    const lines = page.locator('.history li');
    const texts = await lines.allInnerTexts();
    // The deposit is posted, with money on hold: its line says so.
    expect(texts.filter((text) => text.includes('Check 1042'))).toEqual([expect.stringContaining('Part on hold')]);
    await lines.filter({ hasText: 'Check 1042' }).first().getByRole('button').click();
    const details = page.getByTestId('line-details');
    await expect.poll(() => details.innerText(), SLOW).toContain('225.00 USD held until');
    expect(await brokenLaws(t.database.pool)).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}/web-line-details.png`, fullPage: true });
    await page.close();
  }, BROWSER_TEST_TIMEOUT_MS);

  it('a card hold placed elsewhere arrives live as a Pending line, and its details show pending entries', async () => {
    const { page, app } = await signedIn();
    await expect.poll(() => app.countSent('subscribe'), SLOW).toBe(2);
    const availableBefore = await app.available(checking);
    // The card network's service places it, as a merchant's authorization would.
    const cardNetwork = await t.user('SERVICE', { channels: ['CARD'] });
    const held = dataOf(await t.gql(AuthorizeHoldDocument, { input: { accountId: checking, amount: '20.00', channel: 'CARD', description: 'Corner Cafe', idempotencyKey: randomUUID() } }, cardNetwork.token)).authorizeHold;
    expect(held.__typename).toBe('HoldChange');
    const line = page.locator('.history li').filter({ hasText: 'Corner Cafe' });
    await expect.poll(() => line.innerText(), SLOW).toContain('Pending');
    expect(await app.available(checking)).not.toBe(availableBefore);
    await line.getByRole('button').click();
    const details = page.getByTestId('line-details');
    await expect.poll(() => details.innerText(), SLOW).toContain('Pending · card');
    expect(await details.getByRole('row').filter({ hasText: '(pending)' }).count()).toBe(2);
    expect(await brokenLaws(t.database.pool)).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}/web-card-hold.png`, fullPage: true });
    await page.close();
  }, BROWSER_TEST_TIMEOUT_MS);

  it("downloads this month's statement as CSV and PDF with the token in a header, never in a URL", async () => {
    const { page } = await signedIn();
    const urls: string[] = [];
    page.on('request', (request) => urls.push(request.url()));
    const statements = page.getByRole('region', { name: 'Statements' });
    const [csv] = await Promise.all([page.waitForEvent('download'), statements.getByRole('button', { name: 'Download CSV' }).click()]);
    const number = await accountNumberOf(checking);
    // The month running in the bank's zone (statementMonths), which is not UTC's for hours around the 1st.
    const month = DateTime.now().setZone('America/New_York').toFormat('yyyy-MM');
    expect(csv.suggestedFilename()).toBe(`statement-${number.slice(-4)}-${month}.csv`);
    const { readFile } = await import('node:fs/promises');
    const text = await readFile((await csv.path())!, 'utf8');
    expect(text).toContain('1250.00');
    const [pdf] = await Promise.all([page.waitForEvent('download'), statements.getByRole('button', { name: 'Download PDF' }).click()]);
    expect((await readFile((await pdf.path())!)).subarray(0, 5).toString()).toBe('%PDF-');
    const statementRequests = urls.filter((url) => url.includes('/v1/statements/'));
    expect(statementRequests).toHaveLength(2);
    expect(statementRequests.every((url) => !/token|bearer|eyJ/i.test(url))).toBe(true);
    await page.close();
  }, BROWSER_TEST_TIMEOUT_MS);

  it('at 375 px wide nothing scrolls sideways, and an accessibility scan finds no serious or critical violations', async () => {
    // axe needs a page of an explicit context (it opens a blank page beside it for its frames).
    const context = await browser.newContext({ viewport: { width: 375, height: 812 } });
    const page = await context.newPage();
    const app = new WebAppInBrowser(page);
    await app.open(t.url);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    const serious = async () =>
      (await new AxeBuilder({ page }).analyze()).violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical').map((violation) => `${violation.id}: ${violation.help}`);
    expect(await serious()).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}/web-sign-in-375.png`, fullPage: true });

    await app.signIn(alice.username, alice.password);
    await expect.poll(() => page.locator('.history li').count(), SLOW).toBeGreaterThan(0);
    const widths = await page.evaluate<{ scroll: number; client: number }>('({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })');
    expect(widths.scroll).toBeLessThanOrEqual(widths.client);
    expect(await serious()).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}/web-accounts-375.png`, fullPage: true });
    // A line opened to its details (a table of entries, a schedule) still fits, and still scans clean.
    await page.locator('.history li').first().getByRole('button').click();
    await page.getByTestId('line-details').getByRole('table').waitFor();
    const opened = await page.evaluate<{ scroll: number; client: number }>('({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })');
    expect(opened.scroll).toBeLessThanOrEqual(opened.client);
    expect(await serious()).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}/web-line-details-375.png`, fullPage: true });
    await context.close();
  }, BROWSER_TEST_TIMEOUT_MS);
});

describe('the web app renews its session and the live balance resumes where it was', () => {
  let t: TestApp;
  let alice: TestUser;
  let checking: string;

  beforeAll(async () => {
    // 10 s access tokens: the app renews at 8 s and reconnects its socket with the new token.
    t = await startTestApp({ environment: { ACCESS_TOKEN_TTL_SECONDS: '10' } });
    alice = await t.user();
    checking = await t.account(alice, { opening: '10.00' });
  });
  afterAll(() => t?.close());

  const cash = async (amount: string) => {
    const deposit = dataOf(await t.gql(DepositDocument, { input: { accountId: checking, amount, channel: 'CASH', idempotencyKey: randomUUID() } }, (await t.cashier()).token)).deposit;
    expect(deposit.__typename).toBe('MoneyMovement');
  };

  it('after the token is renewed the socket reconnects and subscribes again with afterVersion = the newest version seen; later deposits still arrive live', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const app = new WebAppInBrowser(page);
    await app.open(t.url);
    await app.signIn(alice.username, alice.password);
    await expect.poll(() => app.subscribedAfterVersions(), SLOW).toEqual([1]);
    await cash('5.00');
    await expect.poll(() => app.available(checking), SLOW).toBe('15.00 USD');

    // Renewed at 8 s: a second connection, and the feed resumes after version 2 (the deposit above).
    await expect.poll(() => app.countSent('connection_init'), { timeout: 40_000, interval: 250 }).toBeGreaterThan(1);
    await expect.poll(() => app.subscribedAfterVersions().at(-1), SLOW).toBe(2);
    await cash('2.50');
    await app.showingFramesOnFailure(() => expect.poll(() => app.available(checking), SLOW).toBe('17.50 USD'));
    // One renewal, one reconnect (two at most, when the renewal raced a connect): resuming a feed
    // once counted its own socket's idle close and reopen as another reconnect, and looped.
    expect(app.countSent('connection_init')).toBeLessThanOrEqual(3);
    // Past the first token's expiry (10 s), still signed in and still live.
    await cash('1.00');
    await expect.poll(() => app.available(checking), SLOW).toBe('18.50 USD');
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(1);
    expect(await brokenLaws(t.database.pool)).toEqual([]);
    await page.close();
  }, BROWSER_TEST_TIMEOUT_MS);
});

describe('Tally serves the web app at /app', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('index.html revalidated with a CSP, hashed assets cached for a year, any page under /app falls back to index.html, a missing asset is 404', async () => {
    const index = await fetch(`${t.url}/app/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(index.headers.get('content-security-policy')).toContain("connect-src 'self'");
    const html = await index.text();
    const asset = /src="(\/app\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const script = await fetch(`${t.url}${asset}`);
    expect(script.status).toBe(200);
    expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const deepLink = await fetch(`${t.url}/app/accounts/some-id`);
    expect(deepLink.status).toBe(200);
    expect(await deepLink.text()).toBe(html);
    expect((await fetch(`${t.url}/app/assets/gone-1234.js`)).status).toBe(404);
    expect((await fetch(`${t.url}/app`, { redirect: 'manual' })).headers.get('location')).toBe('/app/');
  });
});
