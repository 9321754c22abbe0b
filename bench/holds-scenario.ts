import { randomUUID } from 'node:crypto';
import type { GraphQLClient } from './graphql-client.js';
import { decimalOf, pick, randomAmount, type BenchUser, type Mix } from './mix.js';
import { movementOutcome, transfer, type MovementOutcome } from './operations.js';
import type { Sessions } from './sessions.js';
import { MAX_MOVEMENT_MINOR } from './settings.js';

/**
 * The holds scenario (BENCH_SCENARIOS=holds): the movements scenario's funded 10,000 accounts and
 * phases, with a card mix instead of deposits. Of the operations, HOLD_SHARE are a card
 * authorization followed by a capture of part of it (two requests: authorizeHold of up to 5.00 on
 * CARD, then a final captureHold of 0.01 up to all of it, which releases the rest); the others are
 * transfers and ATM withdrawals, half each. So about 18% of the requests (2 × 0.1 / 1.1) touch the
 * PENDING layer, and a capture changes both layers of an account in one version.
 */
export const HOLD_SHARE = 0.1;

const SCENARIO = 'transfers+withdrawals+card holds, 10,000 accounts';

const HOLD_CHANGE_SELECTION = `__typename ... on HoldChange { replayed hold { id } } ... on Error { code }`;
const AUTHORIZE_HOLD = `mutation BenchAuthorizeHold($input: AuthorizeHoldInput!) { authorizeHold(input: $input) { ${HOLD_CHANGE_SELECTION} } }`;
const CAPTURE_HOLD = `mutation BenchCaptureHold($input: CaptureHoldInput!) { captureHold(input: $input) { ${HOLD_CHANGE_SELECTION} } }`;
const WITHDRAW = `mutation BenchWithdraw($input: WithdrawInput!) {
  withdraw(input: $input) { __typename ... on MoneyMovement { replayed transaction { id } } ... on Error { code } }
}`;

/** An authorized hold waiting for its capture, by the card service that authorized it. */
interface AuthorizedHold {
  readonly username: string;
  readonly holdId: string;
  readonly amountMinor: number;
}

async function withdraw(client: GraphQLClient, token: string, accountId: string, amount: string): Promise<MovementOutcome> {
  const input = { accountId, amount, channel: 'ATM', idempotencyKey: randomUUID() };
  return movementOutcome(await client.post(WITHDRAW, { input }, token), 'withdraw');
}

async function authorizeHold(client: GraphQLClient, token: string, accountId: string, amountMinor: number): Promise<{ outcome: MovementOutcome; holdId?: string }> {
  const input = { accountId, amount: decimalOf(amountMinor), channel: 'CARD', idempotencyKey: randomUUID() };
  const reply = await client.post(AUTHORIZE_HOLD, { input }, token);
  const outcome = movementOutcome(reply, 'authorizeHold', 'HoldChange');
  if (outcome.kind !== 'ok') return { outcome };
  const holdId = (reply.data?.authorizeHold as { hold?: { id?: unknown } } | undefined)?.hold?.id;
  return typeof holdId === 'string' ? { outcome, holdId } : { outcome: { kind: 'unexpected', reason: 'authorizeHold answered without a hold id' } };
}

async function captureHold(client: GraphQLClient, token: string, hold: AuthorizedHold): Promise<MovementOutcome> {
  const input = { holdId: hold.holdId, amount: randomAmount(hold.amountMinor), idempotencyKey: randomUUID() };
  return movementOutcome(await client.post(CAPTURE_HOLD, { input }, token), 'captureHold', 'HoldChange');
}

/**
 * The card mix. Authorized holds wait in one queue shared by every client, and the next request
 * of any client captures the oldest, so a capture follows its authorization at once, as a
 * merchant's would; a hold still queued when a phase ends is captured in the next one.
 */
export function holdsMix(): Mix {
  const toCapture: AuthorizedHold[] = [];
  const next = async (client: GraphQLClient, sessions: Sessions, users: readonly BenchUser[], allAccountIds: readonly string[]): Promise<MovementOutcome> => {
    const waiting = toCapture.shift();
    if (waiting) return captureHold(client, await sessions.tokenFor(waiting.username), waiting);
    const user = pick(users);
    const source = pick(user.accountIds);
    const draw = Math.random();
    // Card holds and ATM withdrawals are the rails' to post: the user's own service (cash, ATM, card) sends them.
    if (draw < HOLD_SHARE) {
      const amountMinor = 1 + Math.floor(Math.random() * MAX_MOVEMENT_MINOR);
      const { outcome, holdId } = await authorizeHold(client, await sessions.tokenFor(user.cashService), source, amountMinor);
      if (holdId) toCapture.push({ username: user.cashService, holdId, amountMinor });
      return outcome;
    }
    if (draw < HOLD_SHARE + (1 - HOLD_SHARE) / 2) return withdraw(client, await sessions.tokenFor(user.cashService), source, randomAmount(MAX_MOVEMENT_MINOR));
    const token = await sessions.tokenFor(user.username);
    let destination = pick(allAccountIds);
    while (destination === source) destination = pick(allAccountIds);
    return transfer(client, token, source, destination, randomAmount(MAX_MOVEMENT_MINOR));
  };
  return { scenario: SCENARIO, next, resultsSuffix: '.holds.json' };
}
