/**
 * The dispute state machine (issue 9 §2), as data: which step may be taken from which status, and
 * where it leads. Pure; the database's guard (migration 20261201140000) allows the same pairs.
 *
 *   OPEN → INVESTIGATING → (PROVISIONALLY_CREDITED) → RESOLVED_CUSTOMER | RESOLVED_BANK
 *   OPEN | INVESTIGATING → WITHDRAWN (by the customer)
 *
 * A provisional credit may come straight from OPEN: the scheduler gives it when the deadline
 * arrives whether or not an operator has started the investigation. A resolution needs an
 * investigation first. Once credited, the customer cannot withdraw (the bank resolves instead,
 * so the credit is either made final or reversed after notice). A reversal notice keeps the status
 * PROVISIONALLY_CREDITED; it is an event of its own and is given once.
 */

export const DISPUTE_STATUSES = ['OPEN', 'INVESTIGATING', 'PROVISIONALLY_CREDITED', 'RESOLVED_CUSTOMER', 'RESOLVED_BANK', 'WITHDRAWN'] as const;
export type DisputeStatus = (typeof DISPUTE_STATUSES)[number];

export const DISPUTE_REASONS = ['UNAUTHORIZED', 'WRONG_AMOUNT', 'NOT_RECEIVED', 'DUPLICATE', 'OTHER'] as const;
export type DisputeReason = (typeof DISPUTE_REASONS)[number];

/** The steps after opening, each one command. */
export const DISPUTE_STEPS = ['START_INVESTIGATION', 'CREDIT_PROVISIONALLY', 'NOTICE_REVERSAL', 'RESOLVE_CUSTOMER', 'RESOLVE_BANK', 'WITHDRAW'] as const;
export type DisputeStep = (typeof DISPUTE_STEPS)[number];

/** What a dispute's history row calls each step (its `step` column). */
export const DISPUTE_EVENT_STEPS = ['OPENED', 'INVESTIGATION_STARTED', 'PROVISIONALLY_CREDITED', 'REVERSAL_NOTICED', 'RESOLVED_CUSTOMER', 'RESOLVED_BANK', 'WITHDRAWN'] as const;
export type DisputeEventStep = (typeof DISPUTE_EVENT_STEPS)[number];

export const EVENT_STEP_OF: Readonly<Record<DisputeStep, DisputeEventStep>> = {
  START_INVESTIGATION: 'INVESTIGATION_STARTED',
  CREDIT_PROVISIONALLY: 'PROVISIONALLY_CREDITED',
  NOTICE_REVERSAL: 'REVERSAL_NOTICED',
  RESOLVE_CUSTOMER: 'RESOLVED_CUSTOMER',
  RESOLVE_BANK: 'RESOLVED_BANK',
  WITHDRAW: 'WITHDRAWN',
};

/** Every allowed (step, from) and the status it leads to; a pair not listed is refused. */
const TRANSITIONS: Readonly<Record<DisputeStep, Partial<Record<DisputeStatus, DisputeStatus>>>> = {
  START_INVESTIGATION: { OPEN: 'INVESTIGATING' },
  CREDIT_PROVISIONALLY: { OPEN: 'PROVISIONALLY_CREDITED', INVESTIGATING: 'PROVISIONALLY_CREDITED' },
  NOTICE_REVERSAL: { PROVISIONALLY_CREDITED: 'PROVISIONALLY_CREDITED' },
  RESOLVE_CUSTOMER: { INVESTIGATING: 'RESOLVED_CUSTOMER', PROVISIONALLY_CREDITED: 'RESOLVED_CUSTOMER' },
  RESOLVE_BANK: { INVESTIGATING: 'RESOLVED_BANK', PROVISIONALLY_CREDITED: 'RESOLVED_BANK' },
  WITHDRAW: { OPEN: 'WITHDRAWN', INVESTIGATING: 'WITHDRAWN' },
};

/** The status `step` leads to from `from`, or undefined when the machine refuses it. */
export function nextStatus(step: DisputeStep, from: DisputeStatus): DisputeStatus | undefined {
  return TRANSITIONS[step][from];
}

/** Still waiting for an outcome: the one dispute a transaction may have at a time is among these. */
export function isUnresolved(status: DisputeStatus): boolean {
  return status === 'OPEN' || status === 'INVESTIGATING' || status === 'PROVISIONALLY_CREDITED';
}

/** Which ledger transaction a step posts, if any: a step is a money step by the status it leaves. */
export type DisputeMoney = 'CREDIT' | 'REVERSE_CREDIT' | undefined;

/**
 * A provisional credit posts the credit; a resolution for the customer posts it only when no
 * provisional credit was given (then it is final at once); a resolution for the bank reverses a
 * provisional credit if there was one. Nothing else moves money.
 */
export function moneyOf(step: DisputeStep, from: DisputeStatus): DisputeMoney {
  if (step === 'CREDIT_PROVISIONALLY') return 'CREDIT';
  if (step === 'RESOLVE_CUSTOMER' && from === 'INVESTIGATING') return 'CREDIT';
  if (step === 'RESOLVE_BANK' && from === 'PROVISIONALLY_CREDITED') return 'REVERSE_CREDIT';
  return undefined;
}

/** Who may take a step: the account's owner withdraws; operators (and the system actor) do the rest. */
export function stepIsCustomers(step: DisputeStep): boolean {
  return step === 'WITHDRAW';
}
