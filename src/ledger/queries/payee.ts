import { queryRows, type Database } from '../persistence/database.js';

/** What a payer may learn of an account before paying it: where to send, in which currency, whose. */
export interface PayeeAccount {
  readonly accountId: string;
  readonly currency: string;
  /** The holder's full name and username, still to be masked (auth/holder-name.ts). */
  readonly holderFullName: string | null;
  readonly holderUsername: string;
}

/** Account numbers are 11 digits (ledger/account-number.ts); anything else cannot match. */
const ACCOUNT_NUMBER_SHAPE = /^\d{11}$/;

/**
 * The open customer account with this number, with its first owner (a joint account's longest
 * standing holder); undefined for a frozen, closed or internal account and for no account at all,
 * alike, so a look-up says nothing more than "you can pay this".
 */
export async function openCustomerAccountByNumber(database: Database, typed: string): Promise<PayeeAccount | undefined> {
  // As people copy numbers from a statement or a message: "1234 5678 901", "1234-5678-901".
  const accountNumber = typed.length <= 64 ? typed.replace(/[\s-]/gu, '') : typed;
  if (!ACCOUNT_NUMBER_SHAPE.test(accountNumber)) return undefined;
  const [row] = await queryRows<{ id: string; currency: string; full_name: string | null; username: string }>(
    database,
    `select a.id, a.currency, u.full_name, u.username
       from accounts a join user_accounts ua on ua.account_id = a.id join users u on u.id = ua.user_id
      where a.number = ? and a.holder = 'CUSTOMER' and a.status = 'OPEN'
      order by ua.created_at, u.id limit 1`,
    [accountNumber],
  );
  return row ? { accountId: row.id, currency: row.currency, holderFullName: row.full_name, holderUsername: row.username } : undefined;
}
