import { ValidationError } from '../../errors/shared-errors.js';
import { queryRows, type Database } from '../persistence/database.js';

/** An operator's search is a few letters of a name, an e-mail or an account number: 2 to 100 characters. */
export const CUSTOMER_SEARCH_MIN_LENGTH = 2;
export const CUSTOMER_SEARCH_MAX_LENGTH = 100;
/** Customers one search returns by default and at most: a desk picks one person, it does not export the bank. */
export const DEFAULT_CUSTOMERS_LISTED = 20;
export const MAX_CUSTOMERS_LISTED = 50;

/** Account numbers are 11 digits (ledger/account-number.ts); typed with spaces or dashes as on a statement. */
const ACCOUNT_NUMBER_SHAPE = /^\d{11}$/;

export interface CustomerSearch {
  readonly search: string;
  readonly first: number | null;
}

/** The checked search: its three readings (a username prefix, an e-mail, an account number) and the bound. */
interface CheckedSearch {
  readonly usernamePattern: string;
  readonly email: string;
  readonly accountNumber: string | null;
  readonly limit: number;
}

function checked(request: CustomerSearch): CheckedSearch | ValidationError {
  const search = request.search.trim();
  if (search.length < CUSTOMER_SEARCH_MIN_LENGTH || search.length > CUSTOMER_SEARCH_MAX_LENGTH) {
    return new ValidationError(`search must be ${CUSTOMER_SEARCH_MIN_LENGTH} to ${CUSTOMER_SEARCH_MAX_LENGTH} characters.`, 'search');
  }
  if (search.includes('\u0000')) return new ValidationError('search must not contain a NUL character.', 'search');
  const limit = request.first ?? DEFAULT_CUSTOMERS_LISTED;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_CUSTOMERS_LISTED) return new ValidationError(`first must be 1 to ${MAX_CUSTOMERS_LISTED}.`, 'first');
  const lowered = search.toLowerCase();
  const digits = search.replace(/[\s-]/gu, '');
  return {
    // LIKE's own characters in a typed name match themselves, not "anything".
    usernamePattern: `${lowered.replace(/[\\%_]/gu, (character) => `\\${character}`)}%`,
    email: lowered,
    accountNumber: ACCOUNT_NUMBER_SHAPE.test(digits) ? digits : null,
    limit,
  };
}

/**
 * The statement, its parameters the username LIKE pattern, the lowered e-mail and the account
 * number (or null). Exported so a test can EXPLAIN exactly what runs.
 */
export function customerSearchSql(limit: number): string {
  return `select id from (
      select u.id, u.username from users u where u.role = 'CUSTOMER' and lower(u.username) like ? escape '\\'
      union
      select u.id, u.username from users u where u.role = 'CUSTOMER' and lower(u.email) = ?
      union
      select u.id, u.username from accounts a join user_accounts ua on ua.account_id = a.id join users u on u.id = ua.user_id
       where a.number = ? and a.holder = 'CUSTOMER' and u.role = 'CUSTOMER'
    ) found order by username, id limit ${limit}`;
}

/**
 * The ids of the CUSTOMER users a search finds, by username: those whose username starts with it
 * (case-insensitive), whose e-mail is it (case-insensitive), or who own an account of that number.
 * Three index look-ups joined by UNION (users_username_prefix, users_email_lower, the accounts'
 * unique number), never a scan of every user. Operators and services are never found.
 */
export async function searchCustomerIds(database: Database, request: CustomerSearch): Promise<string[] | ValidationError> {
  const search = checked(request);
  if (search instanceof ValidationError) return search;
  const rows = await queryRows<{ id: string }>(database, customerSearchSql(search.limit), [search.usernamePattern, search.email, search.accountNumber]);
  return rows.map((row) => row.id);
}
