import { AccountNotOpenError, NotFoundError, ValidationError, type LedgerError } from '../errors.js';
import { MAX_DESCRIPTION_LENGTH } from '../limits.js';
import { Replay, type CommandSnapshots, type DisputeOutcome } from '../commands/command.js';
import { checkKey } from '../decide/request-checks.js';
import type { DisputedTransaction } from '../queries/disputed-transaction.js';
import type { Channel } from '../types.js';
import { disputeDeadlines, withinDisputeWindow } from './dispute-deadlines.js';
import type { DisputePolicy } from './dispute-policy.js';
import type { OpenDisputePlan } from './dispute-plans.js';
import { DISPUTE_REASONS, type DisputeReason } from './dispute-states.js';
import { checkNote } from './check-note.js';

export interface OpenDisputeRequest {
  readonly transactionId: string;
  readonly reason: DisputeReason;
  readonly description: string | null;
}

/** The rails whose debits Regulation E covers here (issue 9 §2); cash and checks are not electronic transfers. */
export const DISPUTABLE_CHANNELS: ReadonlySet<Channel> = new Set(['CARD', 'ATM', 'ACH', 'THIRD_PARTY', 'WIRE', 'ZELLE', 'PAYPAL']);

/** A card debit is made at a point of sale: Regulation E gives its investigation 90 days. */
const POINT_OF_SALE_CHANNELS: ReadonlySet<Channel> = new Set(['CARD']);

/**
 * Regulation E's longer investigation (1005.11(c)(3)(ii)), beside a new account's: a point-of-sale
 * debit, or a foreign-initiated one (its origin country, when the request gave one, is not the
 * bank's). A debit that named no country is domestic.
 */
export function hasExtendedInvestigation(original: Pick<DisputedTransaction, 'channel' | 'originCountry'>, policy: Pick<DisputePolicy, 'bankCountry'>): boolean {
  const foreign = original.originCountry !== null && original.originCountry !== policy.bankCountry;
  return POINT_OF_SALE_CHANNELS.has(original.channel) || foreign;
}

/**
 * Opening a dispute, checks in order: 1 the key (malformed, replay, conflict); 2 the reason is
 * one of DISPUTE_REASONS and the description is at most 500 characters without control
 * characters (VALIDATION); 3 the transaction exists and debited (POSTED) an account the actor
 * owns, else NOT_FOUND (an operator's or a stranger's request alike: the answer says nothing of
 * whether the id exists); 4 it is a WITHDRAWAL or a HOLD_CAPTURE on an electronic rail
 * (DISPUTABLE_CHANNELS), posted (VALIDATION); 5 it is not reversed or returned (VALIDATION: the
 * money is back already); 6 it posted at most `windowDays` calendar days ago (VALIDATION);
 * 7 it has no dispute that is not WITHDRAWN (VALIDATION: one dispute per transaction, enforced
 * by a unique index as well); 8 the account is not closed (ACCOUNT_NOT_OPEN: a frozen account
 * may still be disputed and credited). The plan is the dispute with its deadlines from `now`.
 */
export function decideOpenDispute(
  request: OpenDisputeRequest,
  original: DisputedTransaction | undefined,
  snapshots: CommandSnapshots<DisputeOutcome>,
  now: Date,
  context: { readonly policy: DisputePolicy; readonly newId: string },
): OpenDisputePlan | LedgerError | Replay<DisputeOutcome> {
  const early = checkKey(snapshots.key) ?? checkRequest(request);
  if (early) return early;
  const account = original?.debitedAccountId ? snapshots.account(original.debitedAccountId) : undefined;
  if (!original || !account || !account.ownedByActor || snapshots.actor.role !== 'CUSTOMER') return new NotFoundError('No such transaction.');
  if (!(original.kind === 'WITHDRAWAL' || original.kind === 'HOLD_CAPTURE') || !DISPUTABLE_CHANNELS.has(original.channel) || original.postedAt === null) {
    return new ValidationError(`Only a posted card, ATM, ACH, wire, Zelle, PayPal or third-party withdrawal or capture can be disputed.`, 'transactionId');
  }
  if (original.status !== 'POSTED' || snapshots.isReversed(original.id) !== false) return new ValidationError('This transaction was reversed or returned: its money is back already.', 'transactionId');
  if (!withinDisputeWindow(original.postedAt, now, context.policy)) {
    return new ValidationError(`A debit can be disputed within ${context.policy.windowDays} days of its posting.`, 'transactionId');
  }
  if (snapshots.isDisputed(original.id) !== false) return new ValidationError('This transaction is disputed already.', 'transactionId');
  if (account.status === 'CLOSED') return new AccountNotOpenError('The account is closed.');
  const deadlines = disputeDeadlines(
    { openedAt: now, accountOpenedAt: original.accountOpenedAt ?? now, extendedInvestigation: hasExtendedInvestigation(original, context.policy) },
    context.policy,
  );
  return {
    id: context.newId,
    transactionId: original.id,
    accountId: account.id,
    reason: request.reason,
    description: request.description,
    amountMinor: original.amountMinor,
    currency: original.currency,
    currencyExponent: original.currencyExponent,
    ...deadlines,
  };
}

function checkRequest(request: OpenDisputeRequest): ValidationError | undefined {
  if (!(DISPUTE_REASONS as readonly string[]).includes(request.reason)) return new ValidationError(`reason must be one of ${DISPUTE_REASONS.join(', ')}.`, 'reason');
  return checkNote(request.description, 'description', MAX_DESCRIPTION_LENGTH);
}
