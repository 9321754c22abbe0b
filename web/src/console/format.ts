import { formatMoney } from '../money';

/** A console date: "1 Dec 2026, 09:30" in the operator's own zone (the full instant is in the title). */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** A signed amount without a currency (a reconciliation run's totals carry none): "−15.00". */
export function formatAmount(decimal: string): string {
  return formatMoney(decimal, '').trimEnd();
}

/** Enum words as people say them: "PROVISIONALLY_CREDITED" → "Provisionally credited". */
export function words(value: string): string {
  const lower = value.replace(/_/g, ' ').toLowerCase();
  return lower.charAt(0).toUpperCase() + lower.slice(1);
}

/** The first characters of an opaque id: enough to tell two apart on screen (the whole id is in the title). */
export function shortId(id: string): string {
  return id.length > 8 ? `${id.slice(0, 8)}…` : id;
}

const DISPUTE_STATUS_WORDS: Record<string, string> = {
  OPEN: 'open',
  INVESTIGATING: 'under investigation',
  PROVISIONALLY_CREDITED: 'provisionally credited',
  RESOLVED_CUSTOMER: 'resolved for the customer',
  RESOLVED_BANK: 'resolved for the bank',
  WITHDRAWN: 'withdrawn by the customer',
};

/** A dispute's status as a phrase: "resolved for the customer". */
export function disputeStatusWords(status: string): string {
  return DISPUTE_STATUS_WORDS[status] ?? words(status).toLowerCase();
}

/** Rails by their usual names: "ATM", "ACH", "PayPal", "Direct deposit". */
const CHANNEL_WORDS: Record<string, string> = { ACH: 'ACH', ATM: 'ATM', PAYPAL: 'PayPal', ZELLE: 'Zelle' };

export function channelWords(channel: string): string {
  return CHANNEL_WORDS[channel] ?? words(channel);
}

const STEP_WORDS: Record<string, string> = {
  RESOLVED_CUSTOMER: 'Resolved for the customer',
  RESOLVED_BANK: 'Resolved for the bank',
  REVERSAL_NOTICED: 'Notice of reversal given',
  WITHDRAWN: 'Withdrawn by the customer',
};

/** A dispute's step as a heading: "Investigation started", "Resolved for the customer". */
export function disputeStepWords(step: string): string {
  return STEP_WORDS[step] ?? words(step);
}

/** A rail inside a sentence: "by wire", "by ACH". */
export function channelInSentence(channel: string): string {
  return CHANNEL_WORDS[channel] ?? words(channel).toLowerCase();
}
