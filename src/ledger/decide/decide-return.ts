import { AccountNotOpenError, NotFoundError, ValidationError } from '../errors.js';
import { MAX_RETURN_REASON_LENGTH } from '../limits.js';
import type { CommandSnapshots, MovementOutcome, Replay } from '../commands/command.js';
import type { HoldSnapshot } from '../commands/unit-state.js';
import type { LedgerError } from '../errors.js';
import type { MovementPlan, PlannedEntry } from '../types.js';
import { checkReason, customerAccountIdsOf, type ReversalOriginal } from './decide-reversal.js';
import { FUNDS_AVAILABILITY } from './internal-accounts.js';
import { planMovement } from './plan-movement.js';
import { checkKey } from './request-checks.js';

export interface ReturnRequest {
  readonly transactionId: string;
  readonly reason: string;
}

/** A returned deposit: the movement that takes it back and the availability holds it releases. */
export interface ReturnPlan {
  readonly movement: MovementPlan;
  /** The deposit's holds that were still ACTIVE, as they stand after the return (VOIDED). */
  readonly releasedHolds: readonly HoldSnapshot[];
}

/** The deposit's POSTED pair: the customer account credited and the bank account debited. */
function postedPair(original: ReversalOriginal): { customer: PlannedEntry['target']; settlement: PlannedEntry['target'] } | undefined {
  const customer = original.entries.find((entry) => entry.layer === 'POSTED' && entry.direction === 'CREDIT' && 'customerAccountId' in entry.target);
  const settlement = original.entries.find((entry) => entry.layer === 'POSTED' && entry.direction === 'DEBIT' && 'internalCode' in entry.target);
  return customer && settlement ? { customer: customer.target, settlement: settlement.target } : undefined;
}

/**
 * A returned deposit (a bounced check, a returned ACH credit), checks in order: 1 the key; 2 the
 * reason (1..200 characters, no control characters); 3 the deposit exists and the actor is an
 * operator, else NOT_FOUND (as for reversals, a customer learns nothing); 4 it is a DEPOSIT, of any
 * channel (a bank returns ACH credits too), else VALIDATION; 5 it is neither returned nor reversed
 * already (VALIDATION; the one unique link is the database's word); 6 its account is not closed
 * (ACCOUNT_NOT_OPEN). Funds and the overdraft limit are not checked: the customer may have spent
 * what was available, and the account then owes the bank (CORRECTION_KINDS). One transaction
 * debits the whole deposit back on the POSTED layer and releases what its still-active
 * availability holds keep on the PENDING layer: one change of the account.
 */
export function decideReturn(
  request: ReturnRequest,
  original: ReversalOriginal | undefined,
  holdIds: readonly string[],
  snapshots: CommandSnapshots<MovementOutcome>,
  _now: Date,
): ReturnPlan | LedgerError | Replay<MovementOutcome> {
  const early = checkKey(snapshots.key) ?? checkReason(request.reason, MAX_RETURN_REASON_LENGTH, 'A return');
  if (early) return early;
  if (!original || snapshots.actor.role !== 'OPERATOR') return new NotFoundError('No such transaction.');
  const pair = original.kind === 'DEPOSIT' ? postedPair(original) : undefined;
  if (!pair || !('customerAccountId' in pair.customer)) return new ValidationError('Only a deposit can be returned.', 'transactionId');
  if (snapshots.isReversed(original.id) !== false) return new ValidationError('This deposit is already returned or reversed.', 'transactionId');
  const [accountId] = customerAccountIdsOf(original);
  const account = accountId ? snapshots.account(accountId) : undefined;
  if (!account) throw new Error(`the account of deposit ${original.id} was not locked`);
  if (account.status === 'CLOSED') return new AccountNotOpenError('The account of this deposit is closed.');
  const active = holdIds.map((holdId) => snapshots.hold(holdId)).filter((hold): hold is HoldSnapshot => hold?.status === 'ACTIVE');
  const releaseMinor = active.reduce((sum, hold) => sum + (hold.amountMinor - hold.capturedMinor), 0n);
  const movement = planMovement(
    { kind: 'RETURN', channel: original.channel, amountMinor: original.amountMinor, currency: original.currency, currencyExponent: original.currencyExponent },
    [
      { target: pair.customer, direction: 'DEBIT', amountMinor: original.amountMinor, layer: 'POSTED' },
      { target: pair.settlement, direction: 'CREDIT', amountMinor: original.amountMinor, layer: 'POSTED' },
      ...(releaseMinor > 0n
        ? [
            { target: pair.customer, direction: 'CREDIT' as const, amountMinor: releaseMinor, layer: 'PENDING' as const },
            { target: { internalCode: FUNDS_AVAILABILITY }, direction: 'DEBIT' as const, amountMinor: releaseMinor, layer: 'PENDING' as const },
          ]
        : []),
    ],
    [account],
  );
  return { movement, releasedHolds: active.map((hold) => ({ ...hold, status: 'VOIDED' as const })) };
}
