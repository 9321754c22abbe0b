import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MikroORM } from '@mikro-orm/postgresql';
import { UserSchema } from '../entities/user.entity.js';
import { addUser } from '../auth/users.js';
import { openAccount } from '../ledger/commands/open-account.js';
import { deposit } from '../ledger/commands/deposit.js';
import { withdraw } from '../ledger/commands/withdraw.js';
import { transfer } from '../ledger/commands/transfer.js';
import type { CommandResult } from '../ledger/commands/command.js';
import type { Actor, Channel, Role } from '../ledger/types.js';
import { SYSTEM_USER_ID } from '../ledger/system/system-actor.js';

export interface DemoCredential {
  readonly username: string;
  readonly password: string;
  /** What the banner says the user is; absent in credential files written before the teller and the ATM network. */
  readonly label?: string;
}

/** Who the demo creates: two customers, a teller, and the ATM network's service (the cash rails). */
const DEMO_USERS: ReadonlyArray<{ username: string; role: Role; channels?: Channel[]; label: string }> = [
  { username: 'alice', role: 'CUSTOMER', label: 'customer' },
  { username: 'bob', role: 'CUSTOMER', label: 'customer' },
  { username: 'teller', role: 'OPERATOR', label: 'operator (a teller)' },
  { username: 'atm-network', role: 'SERVICE', channels: ['ATM', 'CASH'], label: 'service on ATM, CASH' },
];

const CREDENTIALS_FILE = 'demo-users.json';
/** Payers see these masked: `payee` answers "A*** J****" for alice's accounts, "B*** S****" for bob's. */
const DEMO_FULL_NAMES: Readonly<Record<string, string>> = { alice: 'Alice Johnson', bob: 'Bob Smith' };

function created(result: CommandResult, what: string): string {
  const { outcome } = result;
  if (!outcome.ok) throw new Error(`demo data: ${what} failed: ${outcome.message}`);
  if ('reviewId' in outcome) throw new Error(`demo data: ${what} went to risk review`);
  const id = 'accountId' in outcome ? outcome.accountId : 'transactionId' in outcome ? outcome.transactionId : undefined;
  if (id === undefined) throw new Error(`demo data: ${what} wrote no transaction`);
  return id;
}

/**
 * For the embedded database only: with no users yet, creates two demo customers with accounts,
 * a teller and the ATM network's service, and some history made the bank's way (outside money
 * posted by the teller or the ATM network, never by the customer), through the same ledger
 * commands as the API; keeps the generated passwords under the data directory so every start
 * banner can show them.
 */
export async function ensureDemoData(orm: MikroORM, dataDirectory: string): Promise<DemoCredential[]> {
  const file = join(dataDirectory, CREDENTIALS_FILE);
  // The reserved system user is always there; demo data goes into a database with no one else.
  if ((await orm.em.fork().count(UserSchema, { id: { $ne: SYSTEM_USER_ID } })) > 0) {
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as DemoCredential[]) : [];
  }
  const credentials: DemoCredential[] = DEMO_USERS.map(({ username, label }) => ({ username, label, password: randomBytes(9).toString('base64url') }));
  const [alice, bob, teller, atm] = await Promise.all(
    DEMO_USERS.map(async ({ username, role, channels }, index) => {
      const password = credentials[index]!.password;
      const user = await addUser(orm, { username, password, role, channels: channels ?? [], email: `${username}@demo.tally.local`, fullName: DEMO_FULL_NAMES[username] ?? null });
      return { userId: user.id, role: user.role, channels: user.channels as Channel[] } satisfies Actor;
    }),
  );
  let step = 0;
  const key = () => `demo-${(step += 1)}`;
  const aliceChecking = created(await openAccount(orm, alice!, { type: 'CHECKING', currency: 'USD', nickname: 'Everyday', idempotencyKey: key() }), 'open');
  const aliceSavings = created(await openAccount(orm, alice!, { type: 'SAVINGS', currency: 'USD', nickname: 'Rainy day', idempotencyKey: key() }), 'open');
  const bobChecking = created(await openAccount(orm, bob!, { type: 'CHECKING', currency: 'USD', idempotencyKey: key() }), 'open');
  created(await openAccount(orm, bob!, { type: 'SAVINGS', currency: 'EUR', idempotencyKey: key() }), 'open');

  created(await deposit(orm, teller!, { accountId: aliceChecking, amount: '2500.00', channel: 'DIRECT_DEPOSIT', description: 'Payroll', idempotencyKey: key() }), 'deposit');
  created(await deposit(orm, teller!, { accountId: aliceChecking, amount: '120.50', channel: 'ZELLE', description: 'Dinner split', idempotencyKey: key() }), 'deposit');
  created(await withdraw(orm, atm!, { accountId: aliceChecking, amount: '60.00', channel: 'ATM', idempotencyKey: key() }), 'withdraw');
  created(await transfer(orm, alice!, { fromAccountId: aliceChecking, toAccountId: aliceSavings, amount: '500.00', description: 'Monthly saving', idempotencyKey: key() }), 'transfer');
  created(await deposit(orm, atm!, { accountId: bobChecking, amount: '1000.00', channel: 'CASH', description: 'ATM cash deposit', idempotencyKey: key() }), 'deposit');
  created(await transfer(orm, bob!, { fromAccountId: bobChecking, toAccountId: aliceChecking, amount: '42.00', description: 'Concert ticket', idempotencyKey: key() }), 'transfer');
  // What the rail's sample statement (examples/ach-statement.csv, README "Reconciliation") matches:
  // one ACH credit by its reference, one by amount and date; the statement's fee line is the break.
  created(await deposit(orm, teller!, { accountId: aliceChecking, amount: '1250.00', channel: 'ACH', externalRef: 'ACH-DEMO-1001', description: 'Acme Corp payroll', idempotencyKey: key() }), 'deposit');
  created(await deposit(orm, teller!, { accountId: bobChecking, amount: '89.99', channel: 'ACH', description: 'Example Store refund', idempotencyKey: key() }), 'deposit');

  writeFileSync(file, JSON.stringify(credentials, null, 2), { mode: 0o600 });
  return credentials;
}
