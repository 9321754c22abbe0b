import type { DisputeReason, DisputeStatus, DisputeStep } from './generated/graphql';

/** A dispute's status as the customer reads it: short for a badge, a sentence for the details. */
export const DISPUTE_STATUS: Record<DisputeStatus, { readonly badge: string; readonly sentence: string }> = {
  OPEN: { badge: 'Disputed', sentence: 'We have your dispute and will start looking into it.' },
  INVESTIGATING: { badge: 'Disputed', sentence: 'We are looking into this payment.' },
  PROVISIONALLY_CREDITED: { badge: 'Credited for now', sentence: 'We have credited the amount to you while we finish looking into it.' },
  RESOLVED_CUSTOMER: { badge: 'Dispute won', sentence: 'Resolved in your favour: the credit is yours to keep.' },
  RESOLVED_BANK: { badge: 'Dispute closed', sentence: 'Resolved: we found the payment was right, so it stands.' },
  WITHDRAWN: { badge: 'Dispute withdrawn', sentence: 'You withdrew this dispute.' },
};

/** Why the customer disputes a payment, in the words the form offers. */
export const DISPUTE_REASONS: readonly (readonly [DisputeReason, string])[] = [
  ['UNAUTHORIZED', 'I did not make or allow this payment'],
  ['DUPLICATE', 'I was charged twice'],
  ['WRONG_AMOUNT', 'The amount is not what I agreed'],
  ['NOT_RECEIVED', 'I never got what I paid for'],
  ['OTHER', 'Something else (say what below)'],
];

/** Each step of a dispute's history, as a line of its timeline. */
export const DISPUTE_STEP: Record<DisputeStep, string> = {
  OPENED: 'You opened the dispute',
  INVESTIGATION_STARTED: 'We started investigating',
  PROVISIONALLY_CREDITED: 'We credited the amount for now',
  REVERSAL_NOTICED: 'We told you the credit will be taken back',
  RESOLVED_CUSTOMER: 'Resolved in your favour',
  RESOLVED_BANK: 'Resolved: the payment stands',
  WITHDRAWN: 'You withdrew the dispute',
};

/** Rails a customer may dispute a debit on (OpenDisputeInput.transactionId); the bank decides the rest. */
const DISPUTABLE_CHANNELS = new Set(['CARD', 'ATM', 'ACH', 'THIRD_PARTY', 'WIRE', 'ZELLE', 'PAYPAL']);
const DISPUTABLE_KINDS = new Set(['WITHDRAWAL', 'HOLD_CAPTURE']);

/** Whether to offer "Dispute this payment" on a line: a posted debit on a rail that can be disputed. */
export function mayDispute(line: { readonly amount: string; readonly layer: string; readonly transaction: { readonly kind: string; readonly channel: string; readonly status: string } }): boolean {
  return line.amount.startsWith('-') && line.layer === 'POSTED' && line.transaction.status === 'POSTED' && DISPUTABLE_KINDS.has(line.transaction.kind) && DISPUTABLE_CHANNELS.has(line.transaction.channel);
}
