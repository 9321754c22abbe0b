import { LedgerError } from '../errors.js';
import type { CommandSnapshots, MovementOutcome } from '../commands/command.js';
import { Replay } from '../commands/command.js';
import type { MovementPlan } from '../types.js';
import { availabilityOf, isSubjectToCheckSchedule, type AvailabilityPart, type AvailabilityPolicy } from './availability-policy.js';
import { decideDeposit, type DepositRequest } from './decide-movement.js';
import { FUNDS_AVAILABILITY } from './internal-accounts.js';
import { planMovement } from './plan-movement.js';


/** A deposit with its availability: the movement, and the parts that are held until later. */
export interface AvailableDepositPlan {
  readonly movement: MovementPlan;
  /** One DEPOSIT_AVAILABILITY hold per part, each released at its `availableAt`; empty when all is available at once. */
  readonly heldParts: readonly AvailabilityPart[];
}

/**
 * A deposit under the funds-availability policy: every check of `decideDeposit`, in its order,
 * then the policy (pure, availability-policy.ts) splits the amount into parts. The parts that are
 * not available at `now` are held in the same transaction: the customer is debited their sum on
 * the PENDING layer against FUNDS_AVAILABILITY, so the posted balance takes the whole deposit and
 * the available balance only what is available now, in ONE change of the account (one version).
 * A check-schedule deposit needs the account's facts (prefetch `checkDepositsOf`); without them
 * (a bug) the unit fails rather than guess.
 */
export function decideAvailableDeposit(
  request: DepositRequest,
  snapshots: CommandSnapshots<MovementOutcome>,
  now: Date,
  policy: AvailabilityPolicy,
): AvailableDepositPlan | LedgerError | Replay<MovementOutcome> {
  const decided = decideDeposit(request, snapshots, now);
  if (decided instanceof LedgerError || decided instanceof Replay) return decided;
  const account = snapshots.account(request.accountId);
  if (!account) throw new Error('a decided deposit names a locked account');
  const checkSchedule = isSubjectToCheckSchedule(request.channel);
  const facts = snapshots.checkDepositFacts(account.id);
  if (checkSchedule && !facts) throw new Error(`the availability facts of account ${account.id} were not read`);
  const parts = availabilityOf(
    {
      channel: request.channel,
      amountMinor: decided.amountMinor,
      currencyExponent: account.currencyExponent,
      accountOpenedAt: facts?.openedAt ?? now,
      depositsSameBankingDayMinor: facts?.sameBankingDayMinor ?? 0n,
      now,
    },
    policy,
  );
  const heldParts = parts.filter((part) => part.availableAt.getTime() > now.getTime());
  const heldMinor = heldParts.reduce((sum, part) => sum + part.amountMinor, 0n);
  if (heldMinor === 0n) return { movement: decided, heldParts: [] };
  const movement = planMovement(
    { kind: decided.kind, channel: decided.channel, amountMinor: decided.amountMinor, currency: decided.currency, currencyExponent: decided.currencyExponent },
    [
      ...decided.entries,
      { target: { customerAccountId: account.id }, direction: 'DEBIT', amountMinor: heldMinor, layer: 'PENDING' },
      { target: { internalCode: FUNDS_AVAILABILITY }, direction: 'CREDIT', amountMinor: heldMinor, layer: 'PENDING' },
    ],
    [account],
  );
  return { movement, heldParts };
}
