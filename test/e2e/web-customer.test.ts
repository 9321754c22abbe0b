import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { AxeBuilder } from '@axe-core/playwright';
import { DateTime } from 'luxon';
import { generate } from 'otplib';
import type { Browser, Page } from 'playwright-core';
import QRCode from 'qrcode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreditProvisionallyDocument, DepositDocument, StartInvestigationDocument, WithdrawDocument } from '../generated/graphql.js';
import { dataOf } from '../helpers/graphql-client.js';
import { launchChromium } from '../helpers/chromium.js';
import { brokenLaws } from '../helpers/laws.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';
import { ensureWebAppBuilt } from '../helpers/web-app-build.js';
import { WebAppInBrowser } from '../helpers/web-app-browser.js';

/**
 * The customer side of the web app beyond its first screens (web-app.test.ts has those), in
 * headless Chromium against the real server on real PostgreSQL: two-factor enrolment with its QR
 * code, the history's infinite scroll and filters, a dispute opened from a line and followed live
 * to its provisional credit, a JPY account's whole amounts, statement months in the bank's zone,
 * and each of these screens at 375 px with an accessibility scan. Screenshots go to test-artifacts/.
 */
const ARTIFACTS = 'test-artifacts';
const SLOW = { timeout: 30_000, interval: 100 };
const BROWSER_TEST_TIMEOUT_MS = 240_000;
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 375, height: 812 };

let browser: Browser;
let t: TestApp;
beforeAll(async () => {
  ensureWebAppBuilt();
  mkdirSync(ARTIFACTS, { recursive: true });
  [browser, t] = await Promise.all([launchChromium(), startTestApp()]);
  // Many quick debits and deposits of one customer are what these tests make; the risk rules are not their subject.
  await t.disableRiskRules();
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

/** A page of its own context (axe needs an explicit context), signed in as `user`. */
async function signedIn(user: TestUser, viewport = DESKTOP): Promise<{ page: Page; app: WebAppInBrowser }> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  // Closing the page closes its context; when that races the browser's own close at the end, there is nothing left to close.
  page.on('close', () => void context.close().catch(() => undefined));
  const app = new WebAppInBrowser(page);
  await app.open(t.url);
  await app.signIn(user.username, user.password);
  return { page, app };
}

const seriousViolations = async (page: Page) =>
  (await new AxeBuilder({ page }).analyze()).violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical').map((violation) => `${violation.id}: ${violation.help}`);

async function fitsSideways(page: Page): Promise<boolean> {
  const widths = await page.evaluate<{ scroll: number; client: number }>('({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })');
  return widths.scroll <= widths.client;
}

const historyLines = (page: Page) => page.locator('.history li');

async function cash(accountId: string, amount: string, description?: string): Promise<void> {
  const answer = dataOf(await t.gql(DepositDocument, { input: { accountId, amount, channel: 'CASH', idempotencyKey: randomUUID(), ...(description ? { description } : {}) } }, (await t.cashier()).token)).deposit;
  expect(answer.__typename).toBe('MoneyMovement');
}

describe('two-factor enrolment in the app', () => {
  it('shows the otpauth:// URI as a QR code and the key, turns on with the current code, and the next sign-in asks for a code', async () => {
    const carol = await t.user();
    await t.account(carol, { opening: '5.00' });
    const { page } = await signedIn(carol);
    const card = page.getByRole('region', { name: 'Two-factor sign-in' });
    await expect.poll(() => card.innerText(), SLOW).toContain('Off.');
    // A wrong password is told in words and starts nothing.
    await card.getByLabel('Your password, to turn it on').fill(`${carol.password}-not`);
    await card.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
    await expect.poll(() => card.getByRole('status').innerText(), SLOW).toBe('That password is not right.');
    await card.getByLabel('Your password, to turn it on').fill(carol.password);
    await card.getByRole('button', { name: 'Set up two-factor sign-in' }).click();

    // The QR code is the API's otpauth:// URI (the link beside it), drawn by qrcode as the test draws it.
    const qr = card.getByTestId('two-factor-qr');
    await qr.waitFor();
    const uri = await card.getByRole('link', { name: 'Open it in your authenticator app' }).getAttribute('href');
    expect(uri).toMatch(/^otpauth:\/\/totp\/.+\?.*secret=[A-Z2-7]+/);
    const svg = await QRCode.toString(uri!, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    expect(await qr.getAttribute('src')).toBe(`data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`);
    // The browser decoded it: an image with a width, not a broken icon.
    await expect.poll(() => qr.evaluate((image) => (image as unknown as { naturalWidth: number }).naturalWidth), SLOW).toBeGreaterThan(0);
    const secret = (await card.getByTestId('two-factor-secret').innerText()).replace(/\s/g, '');
    expect(new URL(uri!).searchParams.get('secret')).toBe(secret);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}/web-two-factor-qr.png`, fullPage: true });

    // A wrong code is refused in words; the current one turns it on.
    const current = await generate({ secret, epoch: Math.floor(Date.now() / 1000) });
    await card.getByLabel('The six-digit code your app shows').fill(current === '123456' ? '654321' : '123456');
    await card.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
    await expect.poll(() => card.getByRole('status').innerText(), SLOW).toContain('That code did not work');
    await card.getByLabel('The six-digit code your app shows').fill(current);
    await card.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
    await expect.poll(() => card.getByRole('status').innerText(), SLOW).toContain('Two-factor sign-in is on.');
    const { rows } = await t.database.pool.query<{ on: boolean }>(`select totp_enabled_at is not null as on from users where id = $1`, [carol.id]);
    expect(rows).toEqual([{ on: true }]);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Username').fill(carol.username);
    await page.getByLabel('Password').fill(carol.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Code from your authenticator app').waitFor();
    await page.close();
  }, BROWSER_TEST_TIMEOUT_MS);
});

describe('the history', () => {
  let dave: TestUser;
  let checking: string;
  beforeAll(async () => {
    dave = await t.user();
    checking = await t.account(dave);
    // 45 lines, oldest first: deposits of 1.00 … 45.00, so a line's amount says where it sits.
    for (let index = 1; index <= 45; index += 1) await cash(checking, `${index}.00`, `Deposit ${index}`);
  });

  it('reads older lines as the customer scrolls, twenty at a time, to the very first, each once', async () => {
    const { page } = await signedIn(dave);
    await expect.poll(() => historyLines(page).count(), SLOW).toBe(20);
    expect(await historyLines(page).first().innerText()).toContain('+45.00 USD');
    // Scrolling to the end of the list reads the next page, and again.
    await page.locator('.list-end').scrollIntoViewIfNeeded();
    await expect.poll(() => historyLines(page).count(), SLOW).toBe(40);
    await page.locator('.list-end').scrollIntoViewIfNeeded();
    await expect.poll(() => historyLines(page).count(), SLOW).toBe(45);
    await expect.poll(() => page.locator('.list-end').innerText(), SLOW).toBe('That is the whole history.');
    const amounts = (await historyLines(page).locator('.amount').allInnerTexts()).map((text) => text.replace(/ USD$/, ''));
    expect(amounts).toEqual(Array.from({ length: 45 }, (_, back) => `+${45 - back}.00`));
    expect(await page.getByRole('button', { name: 'Show older lines' }).count()).toBe(0);

    // A deposit arriving now goes on top; the 45 read already stay where they are.
    await cash(checking, '100.00', 'Late deposit');
    await expect.poll(() => historyLines(page).first().innerText(), SLOW).toContain('+100.00 USD');
    expect(await historyLines(page).count()).toBe(46);
    await page.screenshot({ path: `${ARTIFACTS}/web-history-scrolled.png`, fullPage: true });
    await page.close();
  }, BROWSER_TEST_TIMEOUT_MS);

  it('filters narrow the lines by amount, kind and days; a range that cannot be sent is said in words', async () => {
    const atm = await t.user('SERVICE', { channels: ['ATM'] });
    const cashOut = dataOf(await t.gql(WithdrawDocument, { input: { accountId: checking, amount: '11.00', channel: 'ATM', description: 'ATM Main St', idempotencyKey: randomUUID() } }, atm.token)).withdraw;
    expect(cashOut.__typename).toBe('MoneyMovement');
    const { page } = await signedIn(dave);
    await expect.poll(() => historyLines(page).count(), SLOW).toBe(20);
    const history = page.getByRole('region', { name: 'History' });
    await history.getByText('Filter lines').click();
    const apply = () => history.getByRole('button', { name: 'Show lines' }).click();

    // 10.00 to 12.00: the deposits of 10, 11 and 12, and the ATM withdrawal of 11 (unsigned amounts).
    await history.getByLabel('At least (USD)').fill('10');
    await history.getByLabel('At most (USD)').fill('12.00');
    await apply();
    await expect.poll(() => historyLines(page).locator('.amount').allInnerTexts(), SLOW).toEqual(['−11.00 USD', '+12.00 USD', '+11.00 USD', '+10.00 USD']);
    await expect.poll(() => page.locator('.list-end').innerText(), SLOW).toBe('That is every matching line.');
    // Withdrawals only, within the same amounts.
    await history.getByLabel('Kind').selectOption({ label: 'Withdrawals' });
    await apply();
    await expect.poll(() => historyLines(page).allInnerTexts(), SLOW).toEqual([expect.stringContaining('ATM Main St')]);
    expect(await history.getByText('Filter lines (filters on)').count()).toBe(1);
    await page.screenshot({ path: `${ARTIFACTS}/web-history-filtered.png`, fullPage: true });

    // Days on the customer's calendar: today holds every line, tomorrow none.
    // (At least a page: the infinite scroll may already have fetched the next one.)
    await history.getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(() => historyLines(page).count(), SLOW).toBeGreaterThanOrEqual(20);
    const today = DateTime.now().toFormat('yyyy-MM-dd');
    await history.getByLabel('From day').fill(today);
    await history.getByLabel('To day (included)').fill(today);
    await apply();
    await expect.poll(() => historyLines(page).count(), SLOW).toBeGreaterThanOrEqual(20);
    await history.getByLabel('From day').fill(DateTime.now().plus({ days: 1 }).toFormat('yyyy-MM-dd'));
    await history.getByLabel('To day (included)').fill('');
    await apply();
    await expect.poll(() => history.innerText(), SLOW).toContain('No lines match these filters.');

    // Three decimals for a USD amount, and "at least" above "at most": refused before any read.
    let reads = 0;
    page.on('request', (request) => void ((request.postData() ?? '').includes('AccountHistory') && (reads += 1)));
    await history.getByLabel('From day').fill('');
    await history.getByLabel('At least (USD)').fill('1.555');
    await apply();
    await expect.poll(() => history.getByRole('status').first().innerText(), SLOW).toContain('For "at least": enter an amount like 25 or 25.00, with at most 2 decimals.');
    await history.getByLabel('At least (USD)').fill('30');
    await history.getByLabel('At most (USD)').fill('20');
    await apply();
    await expect.poll(() => history.getByRole('status').first().innerText(), SLOW).toContain('"At least" must not be above "at most".');
    expect(reads).toBe(0);
    await page.close();
  }, BROWSER_TEST_TIMEOUT_MS);
});

describe('disputes', () => {
  it('the customer opens a dispute from a card payment line and follows it live: open, then credited for now, the credit arriving in the history', async () => {
    const erin = await t.user();
    const checking = await t.account(erin, { opening: '200.00' });
    const [card, teller] = await Promise.all([t.user('SERVICE', { channels: ['CARD'] }), t.user('OPERATOR')]);
    const debit = dataOf(await t.gql(WithdrawDocument, { input: { accountId: checking, amount: '42.50', channel: 'CARD', description: 'Gadget Store', idempotencyKey: randomUUID() } }, card.token)).withdraw;
    if (debit.__typename !== 'MoneyMovement') throw new Error(JSON.stringify(debit));
    const { page, app } = await signedIn(erin);
    await expect.poll(() => app.available(checking), SLOW).toBe('157.50 USD');

    // A deposit is not a debit: no dispute is offered on it.
    await historyLines(page).filter({ hasText: '+200.00 USD' }).getByRole('button').first().click();
    await page.getByTestId('line-details').getByRole('table').waitFor();
    expect(await page.getByRole('button', { name: 'Dispute this payment' }).count()).toBe(0);

    const line = historyLines(page).filter({ hasText: 'Gadget Store' });
    await line.getByRole('button').first().click();
    await line.getByRole('button', { name: 'Dispute this payment' }).click();
    const form = line.getByRole('form', { name: 'Dispute this payment' });
    await form.getByLabel('What is wrong with this payment?').selectOption({ label: 'I never got what I paid for' });
    await form.getByLabel('What happened (optional)').fill('Ordered a lamp on 20 November; nothing came.');
    // Double-clicked: one key for the intent, one dispute.
    await form.getByRole('button', { name: 'Send dispute' }).dblclick();
    const state = line.getByTestId('dispute-state');
    await expect.poll(() => state.getByRole('status').innerText(), SLOW).toContain('We have your dispute');
    expect(await state.innerText()).toContain('Your dispute of 42.50 USD');
    expect(await state.getByRole('list', { name: 'What has happened' }).getByRole('listitem').allInnerTexts()).toEqual([expect.stringContaining('You opened the dispute')]);
    await expect.poll(() => line.locator('.badge').allInnerTexts(), SLOW).toEqual(['Disputed']);
    const { rows } = await t.database.pool.query<{ disputes: number; reason: string }>(`select count(*)::int as disputes, max(reason) as reason from disputes where transaction_id = $1`, [debit.transaction.id]);
    expect(rows[0]).toEqual({ disputes: 1, reason: 'NOT_RECEIVED' });
    await page.screenshot({ path: `${ARTIFACTS}/web-dispute-open.png`, fullPage: true });

    // The bank investigates and credits for now: the open line follows each step without a reload.
    const disputeId = (await t.database.pool.query<{ id: string }>(`select id from disputes where transaction_id = $1`, [debit.transaction.id])).rows[0]!.id;
    const step = { disputeId, idempotencyKey: randomUUID() };
    expect(dataOf(await t.gql(StartInvestigationDocument, { input: step }, teller.token)).startInvestigation.__typename).toBe('DisputeChange');
    await expect.poll(() => state.getByRole('status').innerText(), SLOW).toContain('We are looking into this payment.');
    expect(dataOf(await t.gql(CreditProvisionallyDocument, { input: { disputeId, idempotencyKey: randomUUID() } }, teller.token)).creditProvisionally.__typename).toBe('DisputeChange');
    await expect.poll(() => state.getByRole('status').innerText(), SLOW).toContain('We have credited the amount to you');
    await expect.poll(() => app.available(checking), SLOW).toBe('200.00 USD');
    await expect.poll(() => historyLines(page).first().innerText(), SLOW).toContain('+42.50 USD');
    await expect.poll(() => historyLines(page).first().innerText(), SLOW).toContain('Credit for your dispute: Gadget Store');
    await expect.poll(() => line.locator('.badge').allInnerTexts(), SLOW).toEqual(['Credited for now']);
    expect(await state.getByRole('list', { name: 'What has happened' }).getByRole('listitem').count()).toBe(3);
    expect(await brokenLaws(t.database.pool)).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}/web-dispute-credited.png`, fullPage: true });
    await page.close();
  }, BROWSER_TEST_TIMEOUT_MS);
});

describe('amounts in the account currency', () => {
  it('a JPY account shows and takes whole yen: "1.5" is refused in words before anything is sent, 1500 moves 1,500 JPY', async () => {
    const frank = await t.user();
    const yen = await t.account(frank, { currency: 'JPY', opening: '5000' });
    const yenSavings = await t.account(frank, { currency: 'JPY', type: 'SAVINGS' });
    const { page, app } = await signedIn(frank);
    await expect.poll(() => app.available(yen), SLOW).toBe('5,000 JPY');
    expect(await app.available(yenSavings)).toBe('0 JPY');
    await app.card(yen).click();
    let transfers = 0;
    page.on('request', (request) => void ((request.postData() ?? '').includes('TransferBetweenOwnAccounts') && (transfers += 1)));
    const move = page.getByRole('region', { name: 'Move money' });
    await move.getByLabel('Amount (JPY)').fill('1.5');
    const refusal = move.getByText('Enter a whole amount, without decimals or signs.');
    expect(await refusal.count()).toBe(1);
    // Send takes the customer back to the field, whose description is the refusal; nothing is sent.
    await move.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => move.getByLabel('Amount (JPY)').evaluate((input) => input === (input.ownerDocument as unknown as { activeElement: unknown }).activeElement), SLOW).toBe(true);
    expect(await move.getByLabel('Amount (JPY)').getAttribute('aria-describedby')).toBe(await refusal.getAttribute('id'));
    expect(await refusal.count()).toBe(1);
    expect(transfers).toBe(0);
    await page.screenshot({ path: `${ARTIFACTS}/web-jpy-refused.png`, fullPage: true });

    await move.getByLabel('Amount (JPY)').fill('1500');
    await move.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => move.getByRole('status').innerText(), SLOW).toBe('Sent 1,500 JPY.');
    expect(transfers).toBe(1);
    await expect.poll(() => app.available(yenSavings), SLOW).toBe('1,500 JPY');
    expect(await app.available(yen)).toBe('3,500 JPY');
    await expect.poll(() => historyLines(page).first().locator('.amount').innerText(), SLOW).toBe('−1,500 JPY');
    expect(await historyLines(page).first().innerText()).toContain('Balance 3,500 JPY');
    const { rows } = await t.database.pool.query<{ minor: string }>(`select amount_minor::text as minor from entries where account_id = $1 and direction = 'CREDIT'`, [yenSavings]);
    expect(rows).toEqual([{ minor: '1500' }]);
    // The filters take whole yen too.
    const history = page.getByRole('region', { name: 'History' });
    await history.getByText('Filter lines').click();
    await history.getByLabel('At least (JPY)').fill('1.5');
    await history.getByRole('button', { name: 'Show lines' }).click();
    await expect.poll(() => history.getByRole('status').first().innerText(), SLOW).toContain('For "at least": enter a whole amount');
    await page.close();
  }, BROWSER_TEST_TIMEOUT_MS);
});

describe('statements', () => {
  it("offers the months in the bank's time zone (America/New_York), newest first, and downloads the newest", async () => {
    const gina = await t.user();
    const checking = await t.account(gina, { opening: '75.00' });
    const { page } = await signedIn(gina);
    const statements = page.getByRole('region', { name: 'Statements' });
    const running = DateTime.now().setZone('America/New_York').startOf('month');
    await expect.poll(() => statements.getByLabel('Month').locator('option').count(), SLOW).toBe(12);
    const values = await statements.getByLabel('Month').locator('option').evaluateAll((options) => options.map((option) => (option as unknown as { value: string }).value));
    expect(values).toEqual(Array.from({ length: 12 }, (_, back) => running.minus({ months: back }).toFormat('yyyy-MM')));
    const [csv] = await Promise.all([page.waitForEvent('download'), statements.getByRole('button', { name: 'Download CSV' }).click()]);
    const number = (await t.database.pool.query<{ number: string }>(`select number from accounts where id = $1`, [checking])).rows[0]!.number;
    expect(csv.suggestedFilename()).toBe(`statement-${number.slice(-4)}-${values[0]}.csv`);
    await page.close();
  }, BROWSER_TEST_TIMEOUT_MS);
});

describe('at 375 px', () => {
  it('the filters, a dispute (opened, then withdrawn after a confirmation) and two-factor enrolment fit without sideways scrolling and scan clean', async () => {
    const hal = await t.user();
    const checking = await t.account(hal, { opening: '90.00' });
    const card = await t.user('SERVICE', { channels: ['CARD'] });
    const debit = dataOf(await t.gql(WithdrawDocument, { input: { accountId: checking, amount: '9.99', channel: 'CARD', description: 'A very long merchant name that goes on and on, Springfield', idempotencyKey: randomUUID() } }, card.token)).withdraw;
    if (debit.__typename !== 'MoneyMovement') throw new Error(JSON.stringify(debit));
    const { page } = await signedIn(hal, PHONE);
    const history = page.getByRole('region', { name: 'History' });
    await history.getByText('Filter lines').click();
    const line = historyLines(page).filter({ hasText: 'Springfield' });
    await line.getByRole('button').first().click();
    await line.getByRole('button', { name: 'Dispute this payment' }).click();
    await line.getByRole('form', { name: 'Dispute this payment' }).waitFor();
    expect(await fitsSideways(page)).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}/web-dispute-form-375.png`, fullPage: true });

    await line.getByRole('button', { name: 'Send dispute' }).click();
    const state = line.getByTestId('dispute-state');
    await expect.poll(() => state.getByRole('status').innerText(), SLOW).toContain('We have your dispute');
    // Withdrawn, after a confirmation the customer can decline: nothing was credited, nothing moves.
    await state.getByRole('button', { name: 'Withdraw this dispute' }).click();
    await state.getByRole('button', { name: 'Keep the dispute' }).click();
    await state.getByRole('button', { name: 'Withdraw this dispute' }).click();
    await state.getByRole('button', { name: 'Yes, withdraw it' }).click();
    await expect.poll(() => state.getByRole('status').innerText(), SLOW).toContain('You withdrew this dispute.');
    await expect.poll(() => line.locator('.badge').allInnerTexts(), SLOW).toEqual(['Dispute withdrawn']);
    expect(await state.getByRole('button', { name: 'Withdraw this dispute' }).count()).toBe(0);
    const { rows } = await t.database.pool.query<{ status: string }>(`select status from disputes where transaction_id = $1`, [debit.transaction.id]);
    expect(rows).toEqual([{ status: 'WITHDRAWN' }]);
    const twoFactor = page.getByRole('region', { name: 'Two-factor sign-in' });
    await twoFactor.getByLabel('Your password, to turn it on').fill(hal.password);
    await twoFactor.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
    await twoFactor.getByTestId('two-factor-qr').waitFor();
    expect(await fitsSideways(page)).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}/web-customer-375.png`, fullPage: true });
    await page.close();
  }, BROWSER_TEST_TIMEOUT_MS);
});
