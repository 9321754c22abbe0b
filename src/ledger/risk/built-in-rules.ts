import type { RiskRuleDraft } from './rule.js';

/**
 * The rules every bank starts with (issue 9 §1), on by default and editable like any other: the
 * migration 20261201130000 stores them as version 1, saved by the system user, and an operator's
 * edit makes version 2. Amounts are USD cents; a movement in another currency is not judged by a
 * USD rule (an operator adds that currency's own version). The velocity rule compares no amount,
 * so it runs in every currency.
 *
 * Thresholds are "over": exactly 10,000.00 in cash passes, 10,000.01 goes to review.
 */
export const BUILT_IN_RULES: readonly RiskRuleDraft[] = [
  {
    id: 'cash-over-10000-per-banking-day',
    name: 'Cash over 10,000.00 in one banking day',
    condition:
      'channel == "CASH" && ((kind == "DEPOSIT" && cashDepositedToday + amount > 1000000) || (kind == "WITHDRAWAL" && cashWithdrawnToday + amount > 1000000))',
    action: 'REVIEW',
    reason:
      "The customer's cash deposits, or cash withdrawals, across their accounts pass 10,000.00 this banking day: a currency transaction report is due (31 CFR 1010.311), and structuring shows up here first.",
    publicMessage: null,
    priority: 100,
    enabled: true,
    currency: 'USD',
  },
  {
    id: 'wire-over-5000',
    name: 'Wire over 5,000.00',
    condition: 'channel == "WIRE" && amount > 500000',
    action: 'REVIEW',
    reason: 'A wire over 5,000.00: wires settle at once and cannot be recalled, so a person confirms it first.',
    publicMessage: null,
    priority: 200,
    enabled: true,
    currency: 'USD',
  },
  {
    id: 'rapid-outgoing-movements',
    name: 'More than 5 movements leaving the customer in 10 minutes',
    // The features count earlier movements, so five before this one make this the sixth.
    condition: 'leavesCustomer && outgoing.count_10m >= 5',
    action: 'REVIEW',
    reason: 'A sixth payment or withdrawal to others within 10 minutes: the pattern of a taken-over account being emptied.',
    publicMessage: null,
    priority: 300,
    enabled: true,
    currency: null,
  },
  {
    id: 'new-payee-over-1000',
    name: 'Transfer over 1,000.00 to a payee never paid before',
    condition: 'kind == "TRANSFER" && leavesCustomer && !payeeKnown && amount > 100000',
    action: 'REVIEW',
    reason: 'A first payment of over 1,000.00 to this payee: the shape of authorized push-payment fraud.',
    publicMessage: null,
    priority: 400,
    enabled: true,
    currency: 'USD',
  },
  {
    id: 'dormant-account-over-500',
    name: 'Dormant account moving over 500.00',
    // Money into a dormant account is no risk to it; money out of it is.
    condition: 'daysSinceLastActivity >= 180 && kind != "DEPOSIT" && amount > 50000',
    action: 'REVIEW',
    reason: 'An account with no activity for 180 days or more suddenly sends over 500.00 out: a common sign of a taken-over account.',
    publicMessage: null,
    priority: 500,
    enabled: true,
    currency: 'USD',
  },
];
