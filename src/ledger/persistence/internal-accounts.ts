import { randomUUID } from 'node:crypto';
import { internalAccountCode, DEPOSIT_CHANNELS, DISPUTES, FEE_INCOME, FUNDS_AVAILABILITY, RISK_REVIEWS, SUSPENSE, WITHDRAWAL_CHANNELS } from '../decide/internal-accounts.js';
import type { CurrencyScale } from '../money.js';
import { queryRows, runStatement, type Database } from './database.js';

/**
 * Internal accounts are never deleted, so an id read from a committed row stays valid forever.
 * Cached per database driver: one process may serve more than one database (the tests do).
 */
const idsByDriver = new WeakMap<object, Map<string, string>>();

const ALL_INTERNAL_CODES = [...new Set([...DEPOSIT_CHANNELS, ...WITHDRAWAL_CHANNELS].map(internalAccountCode)), FEE_INCOME, FUNDS_AVAILABILITY, DISPUTES, RISK_REVIEWS, SUSPENSE];

/**
 * Creates the bank's internal accounts for a currency scale (vault, one settlement account per
 * channel, fee income) if they are missing. They are kept per currency AND exponent: customer accounts opened
 * under an older exponent (ICU's 0 for HUF) and newer ones (ISO's 2) count in different units, and
 * an internal account's derived balance must sum entries of one unit only. Called when a customer
 * account opens and, for a scale seen for the first time, by a movement, in the same transaction.
 */
export async function ensureInternalAccounts(database: Database, scale: CurrencyScale): Promise<void> {
  const values = ALL_INTERNAL_CODES.map(() => `(?, ?, 'INTERNAL', ?, ?, ?)`).join(', ');
  const parameters = ALL_INTERNAL_CODES.flatMap((code) => [
    randomUUID(), `INT-${code}-${scale.currency}-E${scale.exponent}`, code, scale.currency, scale.exponent,
  ]);
  // No conflict target: the number is a function of (code, currency, exponent), so a clash on it
  // or on that key is the same account, and both must be skipped. With only the key as target, two
  // first opens in a currency raced into a unique violation on the number.
  await runStatement(
    database,
    `insert into accounts (id, number, holder, internal_code, currency, currency_exponent) values ${values}
     on conflict do nothing`,
    parameters,
  );
}

async function findInternalAccount(database: Database, code: string, scale: CurrencyScale): Promise<string | undefined> {
  const [row] = await queryRows<{ id: string }>(
    database,
    `select id from accounts where holder = 'INTERNAL' and internal_code = ? and currency = ? and currency_exponent = ?`,
    [code, scale.currency, scale.exponent],
  );
  return row?.id;
}

export async function internalAccountId(database: Database, code: string, scale: CurrencyScale): Promise<string> {
  const driver = database.getDriver();
  let idByCodeAndScale = idsByDriver.get(driver);
  if (!idByCodeAndScale) idsByDriver.set(driver, (idByCodeAndScale = new Map()));
  const cacheKey = `${code}:${scale.currency}:${scale.exponent}`;
  const cached = idByCodeAndScale.get(cacheKey);
  if (cached) return cached;
  const committed = await findInternalAccount(database, code, scale);
  if (committed) {
    idByCodeAndScale.set(cacheKey, committed);
    return committed;
  }
  // Created in this transaction: not cached, since a rollback (a deadlock retry) would undo it.
  await ensureInternalAccounts(database, scale);
  const created = await findInternalAccount(database, code, scale);
  if (!created) throw new Error(`internal account ${code} ${scale.currency} (exponent ${scale.exponent}) could not be created`);
  return created;
}
