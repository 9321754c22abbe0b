import assert from 'node:assert/strict';
import { signedAmount, type AccountChange, type AccountSnapshot, type MovementPlan, type PlannedEntry } from '../types.js';

/**
 * Law 1 for one planned transaction: at least two entries and, per layer, debits equal credits
 * (a plan has one currency). Asserted here, before anything is written, and again by
 * the database at the end of the statement that inserts the entries.
 */
export function assertBalanced(entries: readonly PlannedEntry[]): void {
  assert.ok(entries.length >= 2, 'a movement has at least two entries');
  for (const layer of new Set(entries.map((entry) => entry.layer))) {
    const net = entries.filter((entry) => entry.layer === layer).reduce((sum, entry) => sum + signedAmount(entry.direction, entry.amountMinor), 0n);
    assert.equal(net, 0n, `the ${layer} entries of a movement must balance`);
  }
}

/**
 * What the entries do to one customer account: the POSTED layer moves `posted`; PENDING entries
 * move `pending` the other way (a hold debits the customer in the PENDING layer and raises what is
 * held). One version per change, whatever the number of layers touched.
 */
function changeOf(account: AccountSnapshot, entries: readonly PlannedEntry[]): AccountChange {
  let postedAfterMinor = account.postedMinor;
  let pendingAfterMinor = account.pendingMinor;
  for (const entry of entries) {
    if (!('customerAccountId' in entry.target) || entry.target.customerAccountId !== account.id) continue;
    const signed = signedAmount(entry.direction, entry.amountMinor);
    if (entry.layer === 'POSTED') postedAfterMinor += signed;
    else pendingAfterMinor -= signed;
  }
  return { accountId: account.id, postedAfterMinor, pendingAfterMinor, versionBefore: account.version, versionAfter: account.version + 1 };
}

/**
 * A complete plan from its entries and the snapshots of the customer accounts they touch. A
 * customer account may take several entries (a capture releases PENDING and posts POSTED): its
 * first entry is its history line, carrying the one new version, the balances after the whole
 * change, and the layer where the line's amount lands.
 */
export function planMovement(
  header: Omit<MovementPlan, 'entries' | 'changes'>,
  entries: readonly PlannedEntry[],
  accounts: readonly AccountSnapshot[],
): MovementPlan {
  assertBalanced(entries);
  for (const account of accounts) {
    assert.ok(entries.some((entry) => 'customerAccountId' in entry.target && entry.target.customerAccountId === account.id), 'every changed account has an entry');
  }
  return { ...header, entries, changes: accounts.map((account) => changeOf(account, entries)) };
}
