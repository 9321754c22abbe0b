import { describe, expect, it } from 'vitest';
import { decideAuthorization, type AuthorizationRequest } from '../../src/ledger/decide/decide-authorization.js';
import { decideCapture, decideExpiry, decideRelease, decideVoid, type CaptureRequest, type ReleaseRequest } from '../../src/ledger/decide/decide-hold-change.js';
import { DEFAULT_HOLD_SECONDS, MAX_HOLD_SECONDS } from '../../src/ledger/hold-limits.js';
import { LedgerError, ValidationError } from '../../src/ledger/errors.js';
import { Replay, type HoldOutcome, type KeyState } from '../../src/ledger/commands/command.js';
import type { HoldSnapshot } from '../../src/ledger/commands/unit-state.js';
import type { AccountSnapshot, Channel, Role } from '../../src/ledger/types.js';
import { TEST_NOW, snapshotsOf } from './snapshots.js';

/**
 * TigerBeetle's "errors by descending precedence" for the hold commands: each decide function's
 * doc comment lists its checks in order, and that order is the contract. For a chain of checks
 * 1..n, row k is a request that fails exactly checks k..n (each check's fault is applied on top
 * of the later ones'), so its answer must be check k's; the key rows fail every check and still
 * answer from the key. Where two faults live in one field (the amount's shape and its digits), the
 * earlier one replaces the later: a field holds one value. Every fault is also tried alone, so a
 * row cannot pass because its fault trips a different check with the same code.
 */

const ACCOUNT_ID = '00000000-0000-4000-8000-000000000001';
const HOLD_ID = '00000000-0000-4000-8000-0000000000b1';
const HOUR_MS = 3_600_000;

interface Actor {
  readonly role: Role;
  readonly channels?: readonly Channel[];
}

/** Everything a decide function sees: the request, the key, who asks, the locked rows and the clock. */
interface Setup<Request> {
  readonly request: Request;
  readonly key: KeyState<HoldOutcome>;
  readonly actor: Actor;
  readonly account: AccountSnapshot | undefined;
  readonly hold: HoldSnapshot | undefined;
  readonly now: Date;
}

/** One check of a chain: the fault that fails it and the answer it gives. */
interface Check<Request> {
  readonly fails: string;
  readonly answer: string;
  /** Tells apart checks with the same code and field (the amount's shape, digits and what remains). */
  readonly message?: RegExp;
  readonly breaks: (setup: Setup<Request>) => Setup<Request>;
}

interface Row<Request> {
  readonly name: string;
  readonly setup: Setup<Request>;
  readonly answer: string;
  readonly message?: RegExp;
}

const STORED: HoldOutcome = { ok: true, transactionId: 'stored-transaction', holdId: 'stored-hold', balances: [] };
const KEYS: ReadonlyArray<readonly [string, KeyState<HoldOutcome>, string]> = [
  ['a replayed key answers the stored outcome', { kind: 'replay', outcome: STORED }, 'REPLAY:stored-hold'],
  ['a key used for another request', { kind: 'conflict' }, 'IDEMPOTENCY_CONFLICT'],
  ['a malformed key', { kind: 'malformed', error: new ValidationError('idempotencyKey is malformed.', 'idempotencyKey') }, 'VALIDATION:idempotencyKey'],
];

/** Row k fails checks k..n: the faults applied from the last check back to check k. */
function firstFailureRows<Request>(passing: Setup<Request>, checks: readonly Check<Request>[], passes: string): Row<Request>[] {
  const rows = checks.map((check, k): Row<Request> => ({
    name: `${check.fails}, failing ${checks.length - k} of ${checks.length}`,
    setup: checks.slice(k).reduceRight((setup, later) => later.breaks(setup), passing),
    answer: check.answer,
    ...(check.message ? { message: check.message } : {}),
  }));
  return [...rows, { name: 'nothing wrong', setup: passing, answer: passes }];
}

/** The key's three states, each with every other check of the chain failing too. */
function keyRows<Request>(passing: Setup<Request>, checks: readonly Check<Request>[]): Row<Request>[] {
  const everythingWrong = checks.reduceRight((setup, check) => check.breaks(setup), passing);
  return KEYS.map(([name, key, answer]) => ({ name: `${name}, all ${checks.length} other checks failing`, setup: { ...everythingWrong, key }, answer }));
}

/** Each fault on its own: it trips its own check. */
function aloneRows<Request>(passing: Setup<Request>, checks: readonly Check<Request>[]): Row<Request>[] {
  return checks.map((check) => ({ name: `${check.fails}, alone`, setup: check.breaks(passing), answer: check.answer, ...(check.message ? { message: check.message } : {}) }));
}

/** A decision as one word: the replayed hold, the error's code (and field), or the plan's step. */
function answerOf(decision: unknown): string {
  if (decision instanceof Replay) return `REPLAY:${(decision.outcome as { holdId?: string }).holdId}`;
  if (decision instanceof ValidationError) return `VALIDATION:${decision.field}`;
  if (decision instanceof LedgerError) return decision.code;
  if (decision && typeof decision === 'object' && 'step' in decision) return `OK:${String(decision.step)}`;
  return 'OK';
}

function expectAnswer<Request>(row: Row<Request>, decide: (setup: Setup<Request>) => unknown): void {
  const decision = decide(row.setup);
  expect(answerOf(decision)).toBe(row.answer);
  if (row.message) expect((decision as Error).message).toMatch(row.message);
}

function snapshots(setup: Setup<unknown>) {
  return snapshotsOf<HoldOutcome>([setup.account], { ...setup.actor, key: setup.key, holds: setup.hold ? [setup.hold] : [] });
}

const withAccount = <R>(setup: Setup<R>, patch: Partial<AccountSnapshot>): Setup<R> => ({ ...setup, account: setup.account && { ...setup.account, ...patch } });
const withHold = <R>(setup: Setup<R>, patch: Partial<HoldSnapshot>): Setup<R> => ({ ...setup, hold: setup.hold && { ...setup.hold, ...patch } });
const withRequest = <R>(setup: Setup<R>, patch: Partial<R>): Setup<R> => ({ ...setup, request: { ...setup.request, ...patch } });

function account(overrides: Partial<AccountSnapshot> = {}): AccountSnapshot {
  return { id: ACCOUNT_ID, currency: 'USD', currencyExponent: 2, status: 'OPEN', postedMinor: 10_000n, pendingMinor: 0n, overdraftLimitMinor: 0n, version: 3, ownedByActor: true, ...overrides };
}

/** A 10.00 authorization hold, an hour from expiring. */
function hold(overrides: Partial<HoldSnapshot> = {}): HoldSnapshot {
  return { id: HOLD_ID, accountId: ACCOUNT_ID, status: 'ACTIVE', reason: 'AUTHORIZATION', channel: 'ACH', amountMinor: 1_000n, capturedMinor: 0n, expiresAt: new Date(TEST_NOW.getTime() + HOUR_MS), releaseAt: null, captureCount: 0, ...overrides };
}

const CUSTOMER: Actor = { role: 'CUSTOMER' };
const ATM_NETWORK: Actor = { role: 'SERVICE', channels: ['ATM'] };
const CARD_PROCESSOR: Actor = { role: 'SERVICE', channels: ['CARD'] };
const OPERATOR: Actor = { role: 'OPERATOR' };
/** The expiry and release scheduler acts as the system actor, an operator. */
const SYSTEM: Actor = { role: 'OPERATOR' };

// ---------------------------------------------------------------------------------------------
// decideAuthorization

const authorize = (setup: Setup<AuthorizationRequest>) => decideAuthorization(setup.request, snapshots(setup), setup.now);

/** The customer holds 1.00 by ACH on their own open account with 100.00 available. */
const AUTHORIZATION: Setup<AuthorizationRequest> = {
  request: { accountId: ACCOUNT_ID, amount: '1.00', channel: 'ACH' },
  key: { kind: 'fresh' },
  actor: CUSTOMER,
  account: account(),
  hold: undefined,
  now: TEST_NOW,
};
const PAST_THE_CAP = '10000000000000.01';

const AUTHORIZATION_CHECKS: readonly Check<AuthorizationRequest>[] = [
  { fails: 'a channel money cannot leave by (DIRECT_DEPOSIT)', answer: 'VALIDATION:channel', breaks: (s) => withRequest(s, { channel: 'DIRECT_DEPOSIT' }) },
  { fails: "the amount's shape", answer: 'VALIDATION:amount', message: /plain decimal/, breaks: (s) => withRequest(s, { amount: `${s.request.amount}x` }) },
  { fails: 'a description of 501 characters', answer: 'VALIDATION:description', breaks: (s) => withRequest(s, { description: 'd'.repeat(501) }) },
  { fails: 'an externalRef with a control character', answer: 'VALIDATION:externalRef', breaks: (s) => withRequest(s, { externalRef: 'ref\n' }) },
  { fails: 'expiresInSeconds of 0', answer: 'VALIDATION:expiresInSeconds', breaks: (s) => withRequest(s, { expiresInSeconds: 0 }) },
  { fails: "another customer's account", answer: 'NOT_FOUND', breaks: (s) => withAccount(s, { ownedByActor: false }) },
  { fails: 'a CARD hold (the card processor makes those)', answer: 'FORBIDDEN', breaks: (s) => withRequest(s, { channel: 'CARD' }) },
  { fails: 'a closed account', answer: 'ACCOUNT_NOT_OPEN', breaks: (s) => withAccount(s, { status: 'CLOSED' }) },
  { fails: 'a third fraction digit in USD', answer: 'VALIDATION:amount', message: /fraction digits/, breaks: (s) => withRequest(s, { amount: `${s.request.amount}1` }) },
  { fails: 'more than one movement may carry', answer: 'LIMIT_EXCEEDED', breaks: (s) => withRequest(s, { amount: PAST_THE_CAP }) },
  { fails: '0.50 available for 1.00', answer: 'INSUFFICIENT_FUNDS', breaks: (s) => withAccount(s, { postedMinor: 50n }) },
];

describe('decideAuthorization: the first failing check in its documented order answers', () => {
  it.each(keyRows(AUTHORIZATION, AUTHORIZATION_CHECKS))('$name → $answer', (row) => expectAnswer(row, authorize));
  it.each(firstFailureRows(AUTHORIZATION, AUTHORIZATION_CHECKS, 'OK'))('$name → $answer', (row) => expectAnswer(row, authorize));
  it.each(aloneRows(AUTHORIZATION, AUTHORIZATION_CHECKS))('$name → $answer', (row) => expectAnswer(row, authorize));

  // Other askers: a service reaches any existing account, so its refusals start at its channels.
  it.each([
    { name: 'an unknown account, for a customer', setup: { ...AUTHORIZATION, account: undefined }, answer: 'NOT_FOUND' },
    { name: 'an unknown account, for the card processor', setup: { ...withRequest(AUTHORIZATION, { channel: 'CARD' }), actor: CARD_PROCESSOR, account: undefined }, answer: 'NOT_FOUND' },
    { name: 'the ATM network on CARD, before the closed account', setup: { ...withRequest(withAccount(AUTHORIZATION, { ownedByActor: false, status: 'CLOSED' }), { channel: 'CARD' }), actor: ATM_NETWORK }, answer: 'FORBIDDEN' },
    { name: 'an operator, before the closed account', setup: { ...withAccount(AUTHORIZATION, { ownedByActor: false, status: 'CLOSED' }), actor: OPERATOR }, answer: 'FORBIDDEN' },
    { name: "the card processor on a stranger's frozen account", setup: { ...withRequest(withAccount(AUTHORIZATION, { ownedByActor: false, status: 'FROZEN' }), { channel: 'CARD' }), actor: CARD_PROCESSOR }, answer: 'ACCOUNT_NOT_OPEN' },
    { name: 'a zero amount, after the account', setup: withRequest(withAccount(AUTHORIZATION, { postedMinor: 0n }), { amount: '0.00' }), answer: 'VALIDATION:amount', message: /greater than zero/ },
    { name: 'exactly what is available, into the overdraft limit', setup: withAccount(AUTHORIZATION, { postedMinor: 60n, overdraftLimitMinor: 40n }), answer: 'OK' },
  ] as Row<AuthorizationRequest>[])('$name → $answer', (row) => expectAnswer(row, authorize));

  it.each([
    [0, 'VALIDATION:expiresInSeconds'],
    [-1, 'VALIDATION:expiresInSeconds'],
    [1.5, 'VALIDATION:expiresInSeconds'],
    [1, 'OK'],
    [MAX_HOLD_SECONDS, 'OK'],
    [MAX_HOLD_SECONDS + 1, 'VALIDATION:expiresInSeconds'],
    [null, 'OK'],
  ] as const)('expiresInSeconds %s → %s', (expiresInSeconds, answer) => {
    expect(answerOf(authorize(withRequest(AUTHORIZATION, { expiresInSeconds })))).toBe(answer);
  });

  it('the passing hold moves 1.00 into PENDING on both sides and expires after the default lifetime', () => {
    const plan = authorize(AUTHORIZATION);
    if (!('movement' in plan)) throw new Error('expected a plan');
    expect(plan.movement.entries).toEqual([
      { target: { customerAccountId: ACCOUNT_ID }, direction: 'DEBIT', amountMinor: 100n, layer: 'PENDING' },
      { target: { internalCode: 'SETTLEMENT_ACH' }, direction: 'CREDIT', amountMinor: 100n, layer: 'PENDING' },
    ]);
    expect(plan.expiresAt).toEqual(new Date(TEST_NOW.getTime() + DEFAULT_HOLD_SECONDS * 1000));
  });
});

// ---------------------------------------------------------------------------------------------
// decideCapture

const capture = (setup: Setup<CaptureRequest>) => decideCapture(setup.request, snapshots(setup), setup.now);

/** The customer captures 4.00 of their own 10.00 ACH hold. */
const CAPTURE: Setup<CaptureRequest> = { request: { holdId: HOLD_ID, amount: '4.00' }, key: { kind: 'fresh' }, actor: CUSTOMER, account: account(), hold: hold(), now: TEST_NOW };

/** The rows past the actor's reach, shared by the customer's chain and the service's. */
const CAPTURE_HOLD_CHECKS: readonly Check<CaptureRequest>[] = [
  { fails: 'a CARD hold (the card processor captures those)', answer: 'FORBIDDEN', breaks: (s) => withHold(s, { channel: 'CARD' }) },
  { fails: 'a hold captured already', answer: 'HOLD_NOT_ACTIVE', message: /^The hold is captured/, breaks: (s) => withHold(s, { status: 'CAPTURED' }) },
  { fails: 'a hold whose expiry is now', answer: 'HOLD_NOT_ACTIVE', message: /^The hold has expired/, breaks: (s) => withHold(s, { expiresAt: s.now }) },
];
const CAPTURE_AMOUNT_CHECKS: readonly Check<CaptureRequest>[] = [
  { fails: 'a third fraction digit in USD', answer: 'VALIDATION:amount', message: /fraction digits/, breaks: (s) => withRequest(s, { amount: `${s.request.amount}1` }) },
  { fails: 'more than the 3.00 that remains', answer: 'VALIDATION:amount', message: /remains to capture/, breaks: (s) => withHold(s, { capturedMinor: 700n, captureCount: 1 }) },
];
const CAPTURE_CHECKS: readonly Check<CaptureRequest>[] = [
  { fails: "the amount's shape", answer: 'VALIDATION:amount', message: /plain decimal/, breaks: (s) => withRequest(s, { amount: `${s.request.amount}x` }) },
  { fails: "a hold on another customer's account", answer: 'NOT_FOUND', breaks: (s) => withAccount(s, { ownedByActor: false }) },
  ...CAPTURE_HOLD_CHECKS,
  ...CAPTURE_AMOUNT_CHECKS,
];

/** The ATM network captures 4.00 of an ATM hold on a customer's account: it can name availability holds, which a customer is FORBIDDEN before. */
const SERVICE_CAPTURE: Setup<CaptureRequest> = { ...CAPTURE, actor: ATM_NETWORK, account: account({ ownedByActor: false }), hold: hold({ channel: 'ATM' }) };
const AVAILABILITY: Check<CaptureRequest> = {
  fails: 'an availability hold (a deposit kept until available)',
  answer: 'HOLD_NOT_ACTIVE',
  message: /keeps a deposit/,
  breaks: (s) => withHold(s, { reason: 'DEPOSIT_AVAILABILITY', expiresAt: null, releaseAt: new Date(s.now.getTime() + HOUR_MS) }),
};
const SERVICE_CAPTURE_CHECKS: readonly Check<CaptureRequest>[] = [...CAPTURE_HOLD_CHECKS, AVAILABILITY, ...CAPTURE_AMOUNT_CHECKS];

describe('decideCapture: the first failing check in its documented order answers', () => {
  it.each(keyRows(CAPTURE, CAPTURE_CHECKS))('$name → $answer', (row) => expectAnswer(row, capture));
  it.each(firstFailureRows(CAPTURE, CAPTURE_CHECKS, 'OK:CAPTURE'))('customer: $name → $answer', (row) => expectAnswer(row, capture));
  it.each(aloneRows(CAPTURE, CAPTURE_CHECKS))('customer: $name → $answer', (row) => expectAnswer(row, capture));
  it.each(firstFailureRows(SERVICE_CAPTURE, SERVICE_CAPTURE_CHECKS, 'OK:CAPTURE'))('the ATM network: $name → $answer', (row) => expectAnswer(row, capture));
  it.each(aloneRows(SERVICE_CAPTURE, SERVICE_CAPTURE_CHECKS))('the ATM network: $name → $answer', (row) => expectAnswer(row, capture));

  it.each([
    { name: 'an unknown hold, for a customer', setup: { ...CAPTURE, hold: undefined }, answer: 'NOT_FOUND' },
    { name: 'an unknown hold, for the ATM network', setup: { ...SERVICE_CAPTURE, hold: undefined }, answer: 'NOT_FOUND' },
    { name: "a customer's own CHECK availability hold: FORBIDDEN before the availability check", setup: withHold(CAPTURE, { channel: 'CHECK', reason: 'DEPOSIT_AVAILABILITY', expiresAt: null }), answer: 'FORBIDDEN' },
    { name: 'a zero amount', setup: withRequest(CAPTURE, { amount: '0' }), answer: 'VALIDATION:amount', message: /greater than zero/ },
    { name: 'exactly what remains', setup: withRequest(withHold(CAPTURE, { capturedMinor: 600n, captureCount: 1 }), { amount: '4.00' }), answer: 'OK:CAPTURE' },
    { name: 'no amount: all that remains', setup: withRequest(CAPTURE, { amount: null }), answer: 'OK:CAPTURE' },
    { name: 'a hold a millisecond from expiring', setup: withHold(CAPTURE, { expiresAt: new Date(TEST_NOW.getTime() + 1) }), answer: 'OK:CAPTURE' },
  ] as Row<CaptureRequest>[])('$name → $answer', (row) => expectAnswer(row, capture));

  it('the passing capture posts 4.00 and, final by default, releases all 10.00', () => {
    const plan = capture(CAPTURE);
    if (!('holdAfter' in plan)) throw new Error('expected a plan');
    expect(plan.movement.entries.map((entry) => [entry.direction, entry.amountMinor, entry.layer])).toEqual([
      ['DEBIT', 400n, 'POSTED'],
      ['CREDIT', 400n, 'POSTED'],
      ['CREDIT', 1_000n, 'PENDING'],
      ['DEBIT', 1_000n, 'PENDING'],
    ]);
    expect(plan.holdAfter).toMatchObject({ status: 'CAPTURED', capturedMinor: 400n, captureCount: 1 });
  });
});

// ---------------------------------------------------------------------------------------------
// decideVoid

const voidHold = (setup: Setup<ReleaseRequest>) => decideVoid(setup.request, snapshots(setup), setup.now);

const VOID: Setup<ReleaseRequest> = { request: { holdId: HOLD_ID }, key: { kind: 'fresh' }, actor: CUSTOMER, account: account(), hold: hold(), now: TEST_NOW };
const VOID_STATE_CHECKS: readonly Check<ReleaseRequest>[] = [
  { fails: 'a hold voided already', answer: 'HOLD_NOT_ACTIVE', message: /^The hold is voided/, breaks: (s) => withHold(s, { status: 'VOIDED' }) },
  { fails: 'a hold whose expiry is now (the system releases it)', answer: 'HOLD_NOT_ACTIVE', message: /^The hold has expired/, breaks: (s) => withHold(s, { expiresAt: s.now }) },
];
const VOID_FORBIDDEN: Check<ReleaseRequest> = { fails: 'a CARD hold (the card processor voids those)', answer: 'FORBIDDEN', breaks: (s) => withHold(s, { channel: 'CARD' }) };
const VOID_CHECKS: readonly Check<ReleaseRequest>[] = [
  { fails: "a hold on another customer's account", answer: 'NOT_FOUND', breaks: (s) => withAccount(s, { ownedByActor: false }) },
  VOID_FORBIDDEN,
  ...VOID_STATE_CHECKS,
];
const SERVICE_VOID: Setup<ReleaseRequest> = { ...VOID, actor: ATM_NETWORK, account: account({ ownedByActor: false }), hold: hold({ channel: 'ATM' }) };
const SERVICE_VOID_CHECKS: readonly Check<ReleaseRequest>[] = [
  VOID_FORBIDDEN,
  ...VOID_STATE_CHECKS,
  { fails: 'an availability hold (only an operator releases one early)', answer: 'HOLD_NOT_ACTIVE', message: /keeps a deposit/, breaks: (s) => withHold(s, { reason: 'DEPOSIT_AVAILABILITY', expiresAt: null, releaseAt: new Date(s.now.getTime() + HOUR_MS) }) },
];
/** A teller voids a CARD hold on a customer's account (a merchant's cancellation by phone). */
const OPERATOR_VOID: Setup<ReleaseRequest> = { ...VOID, actor: OPERATOR, account: account({ ownedByActor: false }), hold: hold({ channel: 'CARD' }) };

describe('decideVoid: the first failing check in its documented order answers', () => {
  it.each(keyRows(VOID, VOID_CHECKS))('$name → $answer', (row) => expectAnswer(row, voidHold));
  it.each(firstFailureRows(VOID, VOID_CHECKS, 'OK:VOID'))('customer: $name → $answer', (row) => expectAnswer(row, voidHold));
  it.each(aloneRows(VOID, VOID_CHECKS))('customer: $name → $answer', (row) => expectAnswer(row, voidHold));
  it.each(firstFailureRows(SERVICE_VOID, SERVICE_VOID_CHECKS, 'OK:VOID'))('the ATM network: $name → $answer', (row) => expectAnswer(row, voidHold));
  it.each(aloneRows(SERVICE_VOID, SERVICE_VOID_CHECKS))('the ATM network: $name → $answer', (row) => expectAnswer(row, voidHold));
  it.each(firstFailureRows(OPERATOR_VOID, VOID_STATE_CHECKS, 'OK:VOID'))('an operator: $name → $answer', (row) => expectAnswer(row, voidHold));

  it.each([
    { name: 'an unknown hold, for a customer', setup: { ...VOID, hold: undefined }, answer: 'NOT_FOUND' },
    { name: 'an unknown hold, for an operator', setup: { ...OPERATOR_VOID, hold: undefined }, answer: 'NOT_FOUND' },
    { name: 'an operator releases an availability hold early', setup: withHold(OPERATOR_VOID, { channel: 'CHECK', reason: 'DEPOSIT_AVAILABILITY', expiresAt: null }), answer: 'OK:VOID' },
    { name: 'an operator, an expired availability hold: its status before the availability check', setup: withHold(OPERATOR_VOID, { channel: 'CHECK', reason: 'DEPOSIT_AVAILABILITY', status: 'EXPIRED' }), answer: 'HOLD_NOT_ACTIVE', message: /^The hold is expired/ },
  ] as Row<ReleaseRequest>[])('$name → $answer', (row) => expectAnswer(row, voidHold));

  it('the passing void releases all that remains and posts nothing', () => {
    const plan = voidHold(withHold(VOID, { capturedMinor: 300n, captureCount: 1 }));
    if (!('holdAfter' in plan)) throw new Error('expected a plan');
    expect(plan.movement.entries.map((entry) => [entry.direction, entry.amountMinor, entry.layer])).toEqual([['CREDIT', 700n, 'PENDING'], ['DEBIT', 700n, 'PENDING']]);
    expect(plan.holdAfter.status).toBe('VOIDED');
  });
});

// ---------------------------------------------------------------------------------------------
// decideExpiry

const expire = (setup: Setup<ReleaseRequest>) => decideExpiry(setup.request, snapshots(setup), setup.now);

/** The scheduler expires a hold whose expiry is exactly now. */
const EXPIRY: Setup<ReleaseRequest> = { request: { holdId: HOLD_ID }, key: { kind: 'fresh' }, actor: SYSTEM, account: account({ ownedByActor: false }), hold: hold({ expiresAt: TEST_NOW }), now: TEST_NOW };
const EXPIRY_CHECKS: readonly Check<ReleaseRequest>[] = [
  { fails: 'an unknown hold', answer: 'NOT_FOUND', breaks: (s) => ({ ...s, hold: undefined }) },
  { fails: 'a hold a capture got to first', answer: 'HOLD_NOT_ACTIVE', breaks: (s) => withHold(s, { status: 'CAPTURED' }) },
  { fails: 'a hold whose expiry is a millisecond away', answer: 'VALIDATION:holdId', message: /not expired yet/, breaks: (s) => withHold(s, { expiresAt: new Date(s.now.getTime() + 1) }) },
];

describe('decideExpiry: the first failing check in its documented order answers', () => {
  it.each(keyRows(EXPIRY, EXPIRY_CHECKS))('$name → $answer', (row) => expectAnswer(row, expire));
  it.each(firstFailureRows(EXPIRY, EXPIRY_CHECKS, 'OK:EXPIRE'))('$name → $answer', (row) => expectAnswer(row, expire));
  it.each(aloneRows(EXPIRY, EXPIRY_CHECKS))('$name → $answer', (row) => expectAnswer(row, expire));

  it.each([
    // Not in the doc comment's step 2, but the same answer: the unit locks a hold's account with it, so this is a bug upstream.
    { name: "a hold whose account the unit did not lock, before its status", setup: withHold({ ...EXPIRY, account: undefined }, { status: 'VOIDED' }), answer: 'NOT_FOUND' },
    { name: 'a hold with no expiry (an availability hold)', setup: withHold(EXPIRY, { expiresAt: null, reason: 'DEPOSIT_AVAILABILITY', channel: 'CHECK' }), answer: 'VALIDATION:holdId' },
    { name: 'a hold past its expiry', setup: withHold(EXPIRY, { expiresAt: new Date(TEST_NOW.getTime() - HOUR_MS) }), answer: 'OK:EXPIRE' },
  ] as Row<ReleaseRequest>[])('$name → $answer', (row) => expectAnswer(row, expire));

  it('the passing expiry releases all that remains', () => {
    const plan = expire(EXPIRY);
    if (!('holdAfter' in plan)) throw new Error('expected a plan');
    expect(plan.movement.entries.map((entry) => [entry.direction, entry.amountMinor, entry.layer])).toEqual([['CREDIT', 1_000n, 'PENDING'], ['DEBIT', 1_000n, 'PENDING']]);
    expect(plan.holdAfter.status).toBe('EXPIRED');
  });
});

// ---------------------------------------------------------------------------------------------
// decideRelease

const release = (setup: Setup<ReleaseRequest>) => decideRelease(setup.request, snapshots(setup), setup.now);

/** The scheduler releases a check deposit's availability hold whose release time is exactly now. */
const RELEASE: Setup<ReleaseRequest> = {
  request: { holdId: HOLD_ID },
  key: { kind: 'fresh' },
  actor: SYSTEM,
  account: account({ ownedByActor: false }),
  hold: hold({ reason: 'DEPOSIT_AVAILABILITY', channel: 'CHECK', expiresAt: null, releaseAt: TEST_NOW }),
  now: TEST_NOW,
};
const RELEASE_CHECKS: readonly Check<ReleaseRequest>[] = [
  { fails: 'an unknown hold', answer: 'NOT_FOUND', breaks: (s) => ({ ...s, hold: undefined }) },
  { fails: 'an authorization hold', answer: 'VALIDATION:holdId', message: /Only an availability hold/, breaks: (s) => withHold(s, { reason: 'AUTHORIZATION' }) },
  { fails: 'a hold a return voided first', answer: 'HOLD_NOT_ACTIVE', breaks: (s) => withHold(s, { status: 'VOIDED' }) },
  { fails: 'a release time a millisecond away', answer: 'VALIDATION:holdId', message: /not due/, breaks: (s) => withHold(s, { releaseAt: new Date(s.now.getTime() + 1) }) },
];

describe('decideRelease: the first failing check in its documented order answers', () => {
  it.each(keyRows(RELEASE, RELEASE_CHECKS))('$name → $answer', (row) => expectAnswer(row, release));
  it.each(firstFailureRows(RELEASE, RELEASE_CHECKS, 'OK:RELEASE'))('$name → $answer', (row) => expectAnswer(row, release));
  it.each(aloneRows(RELEASE, RELEASE_CHECKS))('$name → $answer', (row) => expectAnswer(row, release));

  it.each([
    { name: "a hold whose account the unit did not lock, before its kind", setup: withHold({ ...RELEASE, account: undefined }, { reason: 'AUTHORIZATION' }), answer: 'NOT_FOUND' },
    { name: 'an availability hold with no release time', setup: withHold(RELEASE, { releaseAt: null }), answer: 'VALIDATION:holdId', message: /not due/ },
    { name: 'an availability hold past its release time', setup: withHold(RELEASE, { releaseAt: new Date(TEST_NOW.getTime() - HOUR_MS) }), answer: 'OK:RELEASE' },
  ] as Row<ReleaseRequest>[])('$name → $answer', (row) => expectAnswer(row, release));

  it('the passing release makes all of it available, against FUNDS_AVAILABILITY', () => {
    const plan = release(RELEASE);
    if (!('holdAfter' in plan)) throw new Error('expected a plan');
    expect(plan.movement.entries).toEqual([
      { target: { customerAccountId: ACCOUNT_ID }, direction: 'CREDIT', amountMinor: 1_000n, layer: 'PENDING' },
      { target: { internalCode: 'FUNDS_AVAILABILITY' }, direction: 'DEBIT', amountMinor: 1_000n, layer: 'PENDING' },
    ]);
    expect(plan.holdAfter.status).toBe('EXPIRED');
  });
});
