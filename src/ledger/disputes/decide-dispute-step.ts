import { AccountNotOpenError, NotFoundError, ValidationError, type LedgerError } from '../errors.js';
import { MAX_DESCRIPTION_LENGTH } from '../limits.js';
import { Replay, type CommandSnapshots, type DisputeOutcome } from '../commands/command.js';
import { checkKey } from '../decide/request-checks.js';
import { DISPUTES } from '../decide/internal-accounts.js';
import { planMovement } from '../decide/plan-movement.js';
import type { AccountSnapshot, MovementPlan } from '../types.js';
import { reversalNotBefore } from './dispute-deadlines.js';
import type { DisputePolicy } from './dispute-policy.js';
import type { DisputeStepPlan } from './dispute-plans.js';
import type { DisputeSnapshot } from './dispute-snapshot.js';
import { moneyOf, nextStatus, stepIsCustomers, type DisputeMoney, type DisputeStep } from './dispute-states.js';
import { checkNote } from './check-note.js';

export interface DisputeStepRequest {
  readonly disputeId: string;
  readonly note: string | null;
}

const STEP_WORDS: Readonly<Record<DisputeStep, string>> = {
  START_INVESTIGATION: 'start its investigation',
  CREDIT_PROVISIONALLY: 'credit it provisionally',
  NOTICE_REVERSAL: 'give notice of a reversal',
  RESOLVE_CUSTOMER: "resolve it in the customer's favour",
  RESOLVE_BANK: "resolve it in the bank's favour",
  WITHDRAW: 'withdraw it',
};

/**
 * One step of a dispute after its opening, checks in order: 1 the key (malformed, replay,
 * conflict); 2 the note (at most 500 characters, no control characters; VALIDATION); 3 the
 * dispute exists and the actor may take the step, else NOT_FOUND: a withdrawal is its account
 * owner's (a customer), every other step an operator's or the system's (to a customer operator
 * doors do not exist; to an operator a customer's withdrawal is not theirs to make); 4 the state
 * machine allows the step from the dispute's status (VALIDATION, naming the status); 5 a reversal
 * notice is given once (VALIDATION); 6 a resolution for the bank after a provisional credit needs
 * the notice, and `now` at or after reversalNotBefore (VALIDATION naming reversalNotBefore);
 * 7 a money step needs the account not closed (ACCOUNT_NOT_OPEN; a frozen account takes it).
 * The plan is the dispute after the step and, for a money step, an ADJUSTMENT against DISPUTES:
 * a credit (customer credited), or the credit's reversal (customer debited, a correction that may
 * overdraw: the bank takes back what it advanced).
 */
export function decideDisputeStep(
  step: DisputeStep,
  request: DisputeStepRequest,
  snapshots: CommandSnapshots<DisputeOutcome>,
  now: Date,
  policy: DisputePolicy,
): DisputeStepPlan | LedgerError | Replay<DisputeOutcome> {
  const early = checkKey(snapshots.key) ?? checkNote(request.note, 'note', MAX_DESCRIPTION_LENGTH);
  if (early) return early;
  const dispute = snapshots.dispute(request.disputeId);
  const account = dispute ? snapshots.account(dispute.accountId) : undefined;
  if (!dispute || !account || !mayTake(step, snapshots, account)) return new NotFoundError('No such dispute.');
  const status = nextStatus(step, dispute.status);
  if (!status) return new ValidationError(`The dispute is ${dispute.status}: you cannot ${STEP_WORDS[step]}.`, 'disputeId');
  const timing = checkTiming(step, dispute, now);
  if (timing) return timing;
  const money = moneyOf(step, dispute.status);
  if (money && account.status === 'CLOSED') return new AccountNotOpenError('The account is closed.');
  const noticed = step === 'NOTICE_REVERSAL' ? { reversalNoticedAt: now, reversalNotBefore: reversalNotBefore(now, policy) } : {};
  return {
    step,
    before: dispute,
    after: { ...dispute, status, ...noticed, credited: dispute.credited || money === 'CREDIT', eventCount: dispute.eventCount + 1 },
    note: request.note,
    money,
    movement: money ? moneyMovement(money, dispute, account) : undefined,
  };
}

function mayTake(step: DisputeStep, snapshots: CommandSnapshots<DisputeOutcome>, account: AccountSnapshot): boolean {
  if (stepIsCustomers(step)) return snapshots.actor.role === 'CUSTOMER' && account.ownedByActor;
  return snapshots.actor.role === 'OPERATOR';
}

function checkTiming(step: DisputeStep, dispute: DisputeSnapshot, now: Date): ValidationError | undefined {
  if (step === 'NOTICE_REVERSAL' && dispute.reversalNoticedAt) return new ValidationError('The customer was given notice of the reversal already.', 'disputeId');
  if (step !== 'RESOLVE_BANK' || dispute.status !== 'PROVISIONALLY_CREDITED') return undefined;
  if (!dispute.reversalNotBefore) return new ValidationError('Give the customer notice of the reversal first (noticeReversal).', 'disputeId');
  if (now < dispute.reversalNotBefore) {
    return new ValidationError(`The provisional credit can be reversed from reversalNotBefore, ${dispute.reversalNotBefore.toISOString()}.`, 'disputeId');
  }
  return undefined;
}

/** The ADJUSTMENT of a money step: the disputed amount between the customer and DISPUTES, on the POSTED layer. */
function moneyMovement(money: NonNullable<DisputeMoney>, dispute: DisputeSnapshot, account: AccountSnapshot): MovementPlan {
  const credit = money === 'CREDIT';
  return planMovement(
    {
      kind: 'ADJUSTMENT',
      channel: 'INTERNAL',
      amountMinor: dispute.amountMinor,
      currency: dispute.currency,
      currencyExponent: dispute.currencyExponent,
      ...(credit ? {} : { correction: true }),
    },
    [
      { target: { customerAccountId: account.id }, direction: credit ? 'CREDIT' : 'DEBIT', amountMinor: dispute.amountMinor, layer: 'POSTED' },
      { target: { internalCode: DISPUTES }, direction: credit ? 'DEBIT' : 'CREDIT', amountMinor: dispute.amountMinor, layer: 'POSTED' },
    ],
    [account],
  );
}
