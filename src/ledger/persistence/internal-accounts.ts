import { randomUUID } from 'node:crypto';
import { internalAccountCode, DEPOSIT_CHANNELS, WITHDRAWAL_CHANNELS } from '../decide/internal-accounts.js';
import { queryRows, runStatement, type Database } from './database.js';

/**
 * Internal accounts are never deleted, so an id read from a committed row stays valid forever.
 * Cached per database driver: one process may serve more than one database (the tests do).
 */
const idsByDriver = new WeakMap<object, Map<string, string>>();

const ALL_INTERNAL_CODES = [...new Set([...DEPOSIT_CHANNELS, ...WITHDRAWAL_CHANNELS].map(internalAccountCode))];

/**
 * Creates the bank's internal accounts for a currency (vault and one settlement account per
 * channel) if they are missing. Called when a customer account in that currency opens, inside
 * the same transaction, so a money movement can always find its counterpart.
 */
export async function ensureInternalAccounts(database: Database, currency: string): Promise<void> {
  const values = ALL_INTERNAL_CODES.map(() => `(?, ?, 'INTERNAL', ?, ?)`).join(', ');
  const parameters = ALL_INTERNAL_CODES.flatMap((code) => [randomUUID(), `INT-${code}-${currency}`, code, currency]);
  await runStatement(
    database,
    `insert into accounts (id, number, holder, internal_code, currency) values ${values}
     on conflict (internal_code, currency) do nothing`,
    parameters,
  );
}

export async function internalAccountId(database: Database, code: string, currency: string): Promise<string> {
  const driver = database.getDriver();
  let idByCodeAndCurrency = idsByDriver.get(driver);
  if (!idByCodeAndCurrency) idsByDriver.set(driver, (idByCodeAndCurrency = new Map()));
  const cacheKey = `${code}:${currency}`;
  const cached = idByCodeAndCurrency.get(cacheKey);
  if (cached) return cached;
  const [row] = await queryRows<{ id: string }>(
    database,
    `select id from accounts where holder = 'INTERNAL' and internal_code = ? and currency = ?`,
    [code, currency],
  );
  if (!row) throw new Error(`internal account ${code} ${currency} is missing; it is created with the first customer account`);
  idByCodeAndCurrency.set(cacheKey, row.id);
  return row.id;
}
