/**
 * A named, stored mapping from a rail's file to statement lines (issue 10 §1), so a real bank
 * file imports without editing: which column (CSV header or JSON key) holds each field, and which
 * words of the direction column mean money in or out.
 */
export interface StatementProfile {
  readonly name: string;
  readonly columns: {
    readonly date: string;
    readonly amount: string;
    /** Absent: the amount carries its own sign (negative: money left the bank). */
    readonly direction?: string;
    readonly reference?: string;
    readonly description?: string;
    /** Absent, or empty on a line: the profile's default currency. */
    readonly currency?: string;
  };
  /** Direction words (any case) for money into the bank's account at the rail. */
  readonly creditWords: readonly string[];
  /** Direction words (any case) for money out of it. */
  readonly debitWords: readonly string[];
  readonly defaultCurrency: string;
}

/** The profile used when an import names none. */
export const DEFAULT_PROFILE_NAME = 'default';
