import assert from 'node:assert/strict';
import type { Channel, TransactionKind } from '../types.js';
import type { StatementPeriod } from './statement-period.js';

/**
 * A monthly account statement (issue 10 §2), built purely from what was read: the posted balance
 * at the start of the month and every history line of the month that changed the posted balance.
 * A hold (the PENDING layer) changes no posted balance, so it is not a statement line; its capture
 * is. Amounts are signed minor units from the account's side: + money in, - money out.
 */
export interface StatementLineFact {
  readonly transactionId: string;
  readonly at: Date;
  readonly kind: TransactionKind;
  readonly channel: Channel;
  readonly description: string | null;
  /** The posted-layer change of this line: the sum of the transaction's POSTED entries on the account. */
  readonly amountMinor: bigint;
  /** The posted balance right after the line (the history line's balanceAfter). */
  readonly balanceAfterMinor: bigint;
  readonly version: number;
}

export interface StatementFacts {
  readonly accountId: string;
  readonly accountNumber: string;
  readonly currency: string;
  readonly currencyExponent: number;
  readonly period: StatementPeriod;
  /** The posted balance at the period's start (0 before the account's first line). */
  readonly openingMinor: bigint;
  /** The month's lines in version order, pending-only lines included (they are left out here). */
  readonly lines: readonly StatementLineFact[];
}

export interface AccountStatement {
  readonly accountId: string;
  readonly accountNumber: string;
  readonly currency: string;
  readonly currencyExponent: number;
  readonly period: StatementPeriod;
  readonly openingMinor: bigint;
  readonly closingMinor: bigint;
  /** The sum of the lines' money in (>= 0). */
  readonly totalInMinor: bigint;
  /** The sum of the lines' money out, as a positive number (>= 0). */
  readonly totalOutMinor: bigint;
  readonly lines: readonly StatementLineFact[];
}

/**
 * The statement of the facts. Each line's balance must be the previous one plus its amount (law 2:
 * balances are derived facts); a break means the history was read wrong, so it fails loudly rather
 * than print a statement whose columns do not add up.
 */
export function buildStatement(facts: StatementFacts): AccountStatement {
  const lines = facts.lines.filter((line) => line.amountMinor !== 0n);
  let running = facts.openingMinor;
  let totalInMinor = 0n;
  let totalOutMinor = 0n;
  for (const line of lines) {
    running += line.amountMinor;
    assert.equal(running, line.balanceAfterMinor, `statement line of version ${line.version} does not follow from the one before`);
    if (line.amountMinor > 0n) totalInMinor += line.amountMinor;
    else totalOutMinor -= line.amountMinor;
  }
  return {
    accountId: facts.accountId,
    accountNumber: facts.accountNumber,
    currency: facts.currency,
    currencyExponent: facts.currencyExponent,
    period: facts.period,
    openingMinor: facts.openingMinor,
    closingMinor: running,
    totalInMinor,
    totalOutMinor,
    lines,
  };
}

/** "*******1234": an account number as a statement prints it, only its last 4 digits shown (ASCII, so every font and text extractor keeps it). */
export function maskedAccountNumber(number: string): string {
  return `${'*'.repeat(Math.max(0, number.length - 4))}${number.slice(-4)}`;
}
