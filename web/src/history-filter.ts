import type { TransactionFilter, TransactionKind } from './generated/graphql';
import { amountProblem } from './money';

/** What the customer typed in the history's filter form, as typed. */
export interface FilterForm {
  readonly kind: TransactionKind | '';
  /** "YYYY-MM-DD" from a date input, or "". */
  readonly from: string;
  readonly to: string;
  readonly minAmount: string;
  readonly maxAmount: string;
}

export const NO_FILTER: FilterForm = { kind: '', from: '', to: '', minAmount: '', maxAmount: '' };

/** The kinds a customer looks for, in their words (the API has ten; these are the ones a customer's lines have). */
export const KIND_CHOICES: readonly (readonly [TransactionKind, string])[] = [
  ['DEPOSIT', 'Deposits'],
  ['WITHDRAWAL', 'Withdrawals'],
  ['TRANSFER', 'Transfers and payments'],
  ['HOLD', 'Card holds'],
  ['HOLD_CAPTURE', 'Card payments'],
  ['FEE', 'Fees'],
  ['ADJUSTMENT', 'Corrections and dispute credits'],
  ['REVERSAL', 'Reversals'],
  ['RETURN', 'Returned items'],
];

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Local midnight of a "YYYY-MM-DD" day, `plusDays` later: the customer means days on their own calendar. */
function localMidnight(day: string, plusDays = 0): Date | undefined {
  const parts = DAY.exec(day);
  if (!parts) return undefined;
  const date = new Date(Number(parts[1]), Number(parts[2]) - 1, Number(parts[3]) + plusDays);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * The API's TransactionFilter for what was typed, or the sentence saying what is wrong. Dates are
 * whole days on the customer's calendar, "to" included (the API's `to` is exclusive: the next
 * midnight). Amounts are checked against the account's digits and sent as typed, never as numbers.
 */
export function filterFrom(form: FilterForm, digits: number): { filter: TransactionFilter } | { problem: string } {
  const from = form.from ? localMidnight(form.from) : undefined;
  const to = form.to ? localMidnight(form.to, 1) : undefined;
  if ((form.from && !from) || (form.to && !to)) return { problem: 'Enter dates as day, month and year.' };
  if (from && to && from >= to) return { problem: 'The first day must not be after the last day.' };
  for (const [typed, which] of [
    [form.minAmount, 'at least'],
    [form.maxAmount, 'at most'],
  ] as const) {
    const problem = typed.trim() === '' ? undefined : amountProblem(typed, digits);
    if (problem) return { problem: `For "${which}": ${problem.charAt(0).toLowerCase()}${problem.slice(1)}` };
  }
  const minAmount = form.minAmount.trim();
  const maxAmount = form.maxAmount.trim();
  if (minAmount && maxAmount && compareDecimals(minAmount, maxAmount) > 0) return { problem: '"At least" must not be above "at most".' };
  return {
    filter: {
      ...(form.kind ? { kinds: [form.kind] } : {}),
      ...(from ? { from: from.toISOString() } : {}),
      ...(to ? { to: to.toISOString() } : {}),
      ...(minAmount ? { minAmount } : {}),
      ...(maxAmount ? { maxAmount } : {}),
    },
  };
}

/** Compares two unsigned Decimal strings as written (no floats): -1, 0 or 1. */
export function compareDecimals(a: string, b: string): number {
  const [aWhole = '', aFraction = ''] = a.split('.');
  const [bWhole = '', bFraction = ''] = b.split('.');
  const width = Math.max(aFraction.length, bFraction.length);
  const left = BigInt(aWhole + aFraction.padEnd(width, '0'));
  const right = BigInt(bWhole + bFraction.padEnd(width, '0'));
  return left === right ? 0 : left < right ? -1 : 1;
}

/** True when any filter is set. */
export function isFiltered(form: FilterForm): boolean {
  return Object.values(form).some((value) => value !== '');
}
