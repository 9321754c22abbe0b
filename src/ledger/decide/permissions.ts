import { ForbiddenError, NotFoundError } from '../errors.js';
import type { AccountSnapshot, Actor, Channel } from '../types.js';

/**
 * Who may move money on which rail, in one place (issue 8 §2; the README's "Who may do what" is
 * this file as a table). Money from outside the bank is posted by the rail that carried it:
 *
 * - a CUSTOMER acts on accounts they own and keeps what they initiate themselves: CHECK deposits
 *   (mobile check deposit), and withdrawals, holds and transfers on CUSTOMER_DEBIT_CHANNELS;
 * - a SERVICE (one principal per rail integration: the ATM network, the card processor, the ACH
 *   processor) deposits, withdraws, authorizes, captures and voids on any customer account, but
 *   only on its own channels; it never transfers;
 * - an OPERATOR (a teller) deposits to any account on any channel and voids any hold; returns and
 *   reversals are theirs too (decide-reversal.ts); they never withdraw, hold or transfer.
 *
 * Each check answers in two steps, so a refusal never tells a caller about an account it may not
 * address: first the account must be within the actor's reach (a customer's own; any customer
 * account for a service or an operator), else NOT_FOUND exactly as for an unknown id; then the
 * role and channel must allow the movement, else FORBIDDEN with a message naming who may.
 * Each returns the account when the movement is allowed.
 */
export type Permitted = AccountSnapshot | NotFoundError | ForbiddenError;

/** Rails customers use themselves: money they send out, and transfers inside the bank. */
export const CUSTOMER_DEBIT_CHANNELS: ReadonlySet<Channel> = new Set(['ACH', 'WIRE', 'ZELLE', 'PAYPAL', 'THIRD_PARTY', 'INTERNAL']);
/** Money customers bring in themselves: mobile check deposit (availability rules apply). */
export const CUSTOMER_DEPOSIT_CHANNELS: ReadonlySet<Channel> = new Set(['CHECK']);

/** Who carries each rail, for the messages of refusals. */
const RAIL_SERVICE: Readonly<Record<Channel, string>> = {
  CASH: 'the cash service (a teller or ATM network)',
  ATM: 'the ATM network',
  CARD: 'the card processor',
  CHECK: 'the check-clearing house',
  ACH: 'the ACH processor',
  DIRECT_DEPOSIT: 'the ACH/payroll processor',
  WIRE: 'the wire service',
  PAYPAL: 'the PayPal integration',
  ZELLE: 'the Zelle integration',
  THIRD_PARTY: 'the third-party payments integration',
  INTERNAL: 'Tally itself',
};

const CHANNEL_LABEL: Readonly<Record<Channel, string>> = {
  CASH: 'Cash',
  ATM: 'ATM',
  CARD: 'Card',
  CHECK: 'Check',
  ACH: 'ACH',
  DIRECT_DEPOSIT: 'Direct',
  WIRE: 'Wire',
  PAYPAL: 'PayPal',
  ZELLE: 'Zelle',
  THIRD_PARTY: 'Third-party',
  INTERNAL: 'Internal',
};

const CUSTOMER_DEBITS_NAMED = 'ACH, WIRE, ZELLE, PAYPAL or THIRD_PARTY';

function servesChannel(actor: Actor, channel: Channel): boolean {
  return actor.role === 'SERVICE' && (actor.channels ?? []).includes(channel);
}

/** Step one: the account exists and the actor may address it at all. */
function withinReach(actor: Actor, account: AccountSnapshot | undefined, notFound: string): AccountSnapshot | NotFoundError {
  if (!account) return new NotFoundError(notFound);
  return actor.role === 'CUSTOMER' && !account.ownedByActor ? new NotFoundError(notFound) : account;
}

function outsideChannels(actor: Actor, channel: Channel): ForbiddenError {
  const channels = actor.channels ?? [];
  return new ForbiddenError(
    channels.length === 0
      ? `This service has no channels; ${channel} movements are made by ${RAIL_SERVICE[channel]}.`
      : `This service moves money only on its channels (${channels.join(', ')}); ${channel} movements are made by ${RAIL_SERVICE[channel]}.`,
  );
}

/** A deposit: a customer's CHECK to their own account, a service's on its channels, an operator's on any. */
export function mayDeposit(actor: Actor, account: AccountSnapshot | undefined, channel: Channel): Permitted {
  const reached = withinReach(actor, account, 'No such account.');
  if (reached instanceof NotFoundError) return reached;
  switch (actor.role) {
    case 'OPERATOR':
      return reached;
    case 'SERVICE':
      return servesChannel(actor, channel) ? reached : outsideChannels(actor, channel);
    case 'CUSTOMER':
      return CUSTOMER_DEPOSIT_CHANNELS.has(channel)
        ? reached
        : new ForbiddenError(`${CHANNEL_LABEL[channel]} deposits are posted by ${RAIL_SERVICE[channel]}, not by customers; customers deposit checks (CHECK).`);
  }
}

/**
 * Money leaving an account, now (a withdrawal) or later (a hold): the owner on the rails they use
 * themselves, or a service on its channels. `what` names the movement in messages.
 */
function mayDebit(actor: Actor, account: AccountSnapshot | undefined, channel: Channel, what: 'withdrawals' | 'holds', notFound = 'No such account.'): Permitted {
  const reached = withinReach(actor, account, notFound);
  if (reached instanceof NotFoundError) return reached;
  switch (actor.role) {
    case 'OPERATOR':
      return new ForbiddenError(`Operators do not make ${what}: they are made by the account's owner or by the rail's service (${RAIL_SERVICE[channel]} for ${channel}).`);
    case 'SERVICE':
      return servesChannel(actor, channel) ? reached : outsideChannels(actor, channel);
    case 'CUSTOMER':
      return CUSTOMER_DEBIT_CHANNELS.has(channel)
        ? reached
        : new ForbiddenError(`${CHANNEL_LABEL[channel]} ${what} are made by ${RAIL_SERVICE[channel]}, not by customers; customers use ${CUSTOMER_DEBITS_NAMED}.`);
  }
}

export function mayWithdraw(actor: Actor, account: AccountSnapshot | undefined, channel: Channel): Permitted {
  return mayDebit(actor, account, channel, 'withdrawals');
}

/** A hold (a card authorization by the card processor, a pre-arranged ACH pull by its owner). */
export function mayAuthorizeOn(actor: Actor, account: AccountSnapshot | undefined, channel: Channel): Permitted {
  return mayDebit(actor, account, channel, 'holds');
}

/** A capture: whoever may place a hold on the hold's channel (stored on the hold) may capture it. */
export function mayCaptureOn(actor: Actor, account: AccountSnapshot | undefined, holdChannel: Channel): Permitted {
  return mayDebit(actor, account, holdChannel, 'holds', 'No such hold.');
}

/** A void: whoever may capture the hold, or an operator (a merchant's cancellation by phone). */
export function mayVoidOn(actor: Actor, account: AccountSnapshot | undefined, holdChannel: Channel): Permitted {
  if (actor.role === 'OPERATOR') return withinReach(actor, account, 'No such hold.');
  return mayDebit(actor, account, holdChannel, 'holds', 'No such hold.');
}

/**
 * A transfer: only the source account's owner. A service moves money between the bank and the
 * outside, never between customers; an operator's corrections are reversals, not transfers.
 */
export function mayTransfer(actor: Actor, source: AccountSnapshot | undefined): Permitted {
  const reached = withinReach(actor, source, 'No such source account.');
  if (reached instanceof NotFoundError || actor.role === 'CUSTOMER') return reached;
  return new ForbiddenError(
    actor.role === 'SERVICE'
      ? 'Transfers are made by the source account\'s owner; a service moves money only by deposits, withdrawals and holds on its channels.'
      : 'Transfers are made by the source account\'s owner; operators correct with returns and reversals.',
  );
}

/** Whether a movement's answer shows the account's balances: its owner, an operator, or the service that moved it. */
export function mayShowBalances(actor: Actor, account: AccountSnapshot | undefined): boolean {
  return Boolean(account?.ownedByActor) || actor.role === 'OPERATOR' || (actor.role === 'SERVICE' && account !== undefined);
}
