/**
 * Money in the web app is the API's Decimal string ("1234.50", "500" for JPY), never a float:
 * formatted by moving characters, checked by pattern. The API sends each amount with exactly its
 * currency's fraction digits, so the digits of an account are read from its own balance.
 */

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/** Fraction digits of a currency, read from one of its Decimal strings ("0.000" → 3, "500" → 0). */
export function fractionDigitsOf(decimal: string): number {
  return DECIMAL.exec(decimal)?.[3]?.length ?? 0;
}

/** "-1234567.50", "USD" → "−1,234,567.50 USD" (a true minus sign, thousands grouped). */
export function formatMoney(decimal: string, currency: string): string {
  const parts = DECIMAL.exec(decimal);
  if (!parts) return `${decimal} ${currency}`;
  const [, sign, whole = '0', fraction] = parts;
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign ? '\u2212' : ''}${grouped}${fraction === undefined ? '' : `.${fraction}`} ${currency}`;
}

/** A signed history amount: "+25.00 USD" for money in, "−12.00 USD" for money out. */
export function formatSignedMoney(decimal: string, currency: string): string {
  return decimal.startsWith('-') ? formatMoney(decimal, currency) : `+${formatMoney(decimal, currency)}`;
}

/**
 * Why a typed amount cannot be sent, in words, or undefined when it is a valid positive amount of
 * a currency with `digits` fraction digits (a JPY account takes no decimals). Never rounded.
 */
export function amountProblem(typed: string, digits: number): string | undefined {
  const amount = typed.trim();
  if (amount === '') return 'Enter an amount.';
  const pattern = digits === 0 ? /^\d{1,15}$/ : new RegExp(`^\\d{1,15}(\\.\\d{1,${digits}})?$`);
  if (!pattern.test(amount)) {
    return digits === 0 ? 'Enter a whole amount, without decimals or signs.' : `Enter an amount like 25 or 25.${'0'.repeat(digits)}, with at most ${digits} decimals.`;
  }
  if (/^[0.]+$/.test(amount)) return 'Enter an amount above zero.';
  return undefined;
}
