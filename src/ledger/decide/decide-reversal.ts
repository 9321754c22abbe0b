import { AccountNotOpenError, NotFoundError, ValidationError } from '../errors.js';
import { MAX_REVERSAL_REASON_LENGTH } from '../limits.js';
import type { CommandSnapshots, MovementOutcome } from '../commands/command.js';
import type { AccountSnapshot, Channel, Direction, Layer, PlannedEntry, TransactionKind } from '../types.js';
import type { MovementDecision } from './decide-movement.js';
import { planMovement } from './plan-movement.js';
import { checkKey } from './request-checks.js';

/** One entry of the transaction to reverse, as stored: internal accounts are named by their code. */
export interface OriginalEntry {
  readonly target: PlannedEntry['target'];
  readonly direction: Direction;
  readonly amountMinor: bigint;
  readonly layer: Layer;
}

/** The transaction to reverse, read before the unit (a posted transaction and its entries never change). */
export interface ReversalOriginal {
  readonly id: string;
  readonly kind: TransactionKind;
  readonly channel: Channel;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly currencyExponent: number;
  readonly entries: readonly OriginalEntry[];
}

export interface ReversalRequest {
  readonly transactionId: string;
  readonly reason: string;
}

// Control characters in free text break statements, logs and terminals downstream.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** An operator's reason for a correction: not blank, at most `maxLength` characters, no control characters. */
export function checkReason(reason: string, maxLength = MAX_REVERSAL_REASON_LENGTH, what = 'A reversal'): ValidationError | undefined {
  if (reason.trim().length === 0) return new ValidationError(`${what} needs a reason.`, 'reason');
  if (reason.length > maxLength) return new ValidationError(`reason may have at most ${maxLength} characters.`, 'reason');
  if (CONTROL_CHARACTERS.test(reason)) return new ValidationError('reason may not contain control characters.', 'reason');
  return undefined;
}

const opposite = (direction: Direction): Direction => (direction === 'DEBIT' ? 'CREDIT' : 'DEBIT');

/**
 * What a reversal undoes: the original's POSTED entries. Only a capture (HOLD_CAPTURE), or an
 * approved risk review's movement, may also have PENDING ones, its release of the hold, which is
 * not undone: the refund gives the captured money back, and the hold stays as the capture left it
 * (CAPTURED, or ACTIVE for the rest).
 */
export function reversedEntriesOf(original: ReversalOriginal): OriginalEntry[] {
  return original.entries.filter((entry) => entry.layer === 'POSTED');
}

/** The customer accounts whose entries the reversal undoes, each once, in the order their entries appear. */
export function customerAccountIdsOf(original: ReversalOriginal): string[] {
  return [...new Set(reversedEntriesOf(original).flatMap((entry) => ('customerAccountId' in entry.target ? [entry.target.customerAccountId] : [])))];
}

/**
 * PENDING entries other than a capture's release: nothing posted to undo (a hold, voided instead;
 * a hold's release), or money still held for availability (a deposit under a hold, which is
 * returned with returnDeposit, not reversed: the return also settles the hold).
 */
function checkPendingLayer(original: ReversalOriginal): ValidationError | undefined {
  if (original.kind === 'HOLD_CAPTURE' || !original.entries.some((entry) => entry.layer === 'PENDING')) return undefined;
  // A withdrawal or transfer with PENDING entries is an approved risk review: like a capture, it
  // released its review hold and posted; the reversal undoes what it posted, the release stays.
  if (original.kind === 'WITHDRAWAL' || original.kind === 'TRANSFER') return undefined;
  if (original.kind === 'HOLD') return new ValidationError('A hold cannot be reversed; void it instead.', 'transactionId');
  if (original.kind === 'HOLD_RELEASE') return new ValidationError("A hold's release cannot be reversed: it moved no posted money.", 'transactionId');
  if (original.kind === 'DEPOSIT') return new ValidationError('A deposit under an availability hold cannot be reversed; return it with returnDeposit.', 'transactionId');
  return new ValidationError('A transaction with pending entries cannot be reversed.', 'transactionId');
}

/**
 * A reversal, checks in order: 1 the key (malformed, replay, conflict); 2 the reason (1..500
 * characters, no control characters); 3 the original exists and the actor is an operator, else
 * NOT_FOUND (to a customer no transaction is reversible, and the answer says nothing of whether the
 * id exists: operator-only, as operator deposits to others' accounts answer NOT_FOUND); 4 it is not
 * itself a REVERSAL or a RETURN (VALIDATION: undo a mistaken correction with a new movement, so
 * the chain of links stays one deep), nor a dispute's ADJUSTMENT (VALIDATION: the dispute's steps own it); 5 it has no PENDING entries unless it is a capture
 * (VALIDATION, see checkPendingLayer: a hold is voided, a release has nothing to undo, a held
 * deposit is returned); 6 it is not reversed or returned already (VALIDATION, database-enforced by
 * the one unique link as well), nor disputed (a dispute that is not withdrawn: VALIDATION, read
 * under the same account locks an opening takes); 7 no
 * account it touched is closed (ACCOUNT_NOT_OPEN; a frozen account takes the correction).
 * Funds and the overdraft limit are not checked: a reversal of a spent deposit may overdraw, and
 * the account then owes the bank (CORRECTION_KINDS). The plan is the original's POSTED entries
 * (reversedEntriesOf: all of them, but for a capture's release) with the directions swapped, same
 * accounts, amounts and layer: a capture's reversal refunds what it posted, one version.
 */
export function decideReversal(request: ReversalRequest, original: ReversalOriginal | undefined, snapshots: CommandSnapshots<MovementOutcome>, _now: Date): MovementDecision {
  const early = checkKey(snapshots.key) ?? checkReason(request.reason);
  if (early) return early;
  if (!original || snapshots.actor.role !== 'OPERATOR') return new NotFoundError('No such transaction.');
  if (original.kind === 'REVERSAL') return new ValidationError('A reversal cannot be reversed; post a new movement to correct it.', 'transactionId');
  if (original.kind === 'RETURN') return new ValidationError('A return cannot be reversed; post a new movement to correct it.', 'transactionId');
  // A dispute's credit (or its reversal) is undone by the dispute's own steps, so the dispute's state and its money stay one story.
  if (original.kind === 'ADJUSTMENT') return new ValidationError("A dispute's adjustment cannot be reversed; resolve the dispute instead.", 'transactionId');
  const pendingRefusal = checkPendingLayer(original);
  if (pendingRefusal) return pendingRefusal;
  // The link is shared with returns: a returned deposit cannot be reversed as well.
  if (snapshots.isReversed(original.id) !== false) return new ValidationError('This transaction is already reversed or returned.', 'transactionId');
  // A disputed debit gets its money back through the dispute (or not): reversing it too would refund it twice.
  if (snapshots.isDisputed(original.id) === true) return new ValidationError('This transaction is disputed; resolve the dispute instead.', 'transactionId');
  const accounts: AccountSnapshot[] = [];
  for (const accountId of customerAccountIdsOf(original)) {
    const account = snapshots.account(accountId);
    if (!account) throw new Error(`account ${accountId} of transaction ${original.id} was not locked`);
    if (account.status === 'CLOSED') return new AccountNotOpenError('An account of this transaction is closed.');
    accounts.push(account);
  }
  return planMovement(
    { kind: 'REVERSAL', channel: original.channel, amountMinor: original.amountMinor, currency: original.currency, currencyExponent: original.currencyExponent },
    reversedEntriesOf(original).map((entry) => ({ ...entry, direction: opposite(entry.direction) })),
    accounts,
  );
}
