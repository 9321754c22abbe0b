import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { LimitExceededError, ValidationError } from '../errors.js';
import { MAX_ACCOUNTS_PER_USER, MAX_NICKNAME_LENGTH } from '../limits.js';
import { parseCurrency } from '../money.js';
import { newAccountNumber } from '../account-number.js';
import { ensureInternalAccounts } from '../persistence/internal-accounts.js';
import { queryRows, runStatement } from '../persistence/database.js';
import { ACCOUNT_TYPES, type AccountType, type Actor } from '../types.js';
import { errorOutcome, runCommand, type CommandResult } from './run-command.js';

export interface OpenAccountInput {
  readonly type: AccountType;
  readonly currency: string;
  readonly nickname?: string | null;
  readonly idempotencyKey: string;
}

/** Account numbers are random; a collision is retried with a new one, never surfaced. */
const MAX_NUMBER_ATTEMPTS = 5;

/** Opens a customer account owned by the actor, at zero with version 0. */
export function openAccount(orm: MikroORM, actor: Actor, input: OpenAccountInput): Promise<CommandResult> {
  const { idempotencyKey, ...request } = input;
  return runCommand(orm, {
    name: 'openAccount',
    actor,
    idempotencyKey,
    request,
    validate() {
      if (!ACCOUNT_TYPES.includes(input.type)) return new ValidationError(`Unknown account type ${input.type}.`, 'type');
      const currency = parseCurrency(input.currency);
      if (currency instanceof ValidationError) return currency;
      const nickname = input.nickname ?? '';
      if (nickname.length > MAX_NICKNAME_LENGTH || /[\u0000-\u001f\u007f]/.test(nickname)) {
        return new ValidationError(`nickname may have at most ${MAX_NICKNAME_LENGTH} printable characters.`, 'nickname');
      }
      return undefined;
    },
    async execute(database) {
      // The user row lock serialises one user's concurrent opens, so the limit below holds. NO KEY
      // UPDATE: the idempotency claim just inserted holds KEY SHARE on this row, which FOR UPDATE
      // would conflict with (two opens would deadlock each other).
      const [owner] = await queryRows<{ accounts: number }>(
        database,
        `select (select count(*)::int from user_accounts where user_id = u.id) as accounts
           from users u where u.id = ? for no key update`,
        [actor.userId],
      );
      if (!owner) throw new Error(`actor ${actor.userId} has no user row`);
      if (owner.accounts >= MAX_ACCOUNTS_PER_USER) {
        return errorOutcome(new LimitExceededError(`A customer may hold at most ${MAX_ACCOUNTS_PER_USER} accounts.`));
      }
      // validate() checked it already; the exponent is stored with the account, never looked up again.
      const scale = parseCurrency(input.currency);
      if (scale instanceof ValidationError) return errorOutcome(scale);
      await ensureInternalAccounts(database, scale);
      const accountId = randomUUID();
      for (let attempt = 1; attempt <= MAX_NUMBER_ATTEMPTS; attempt += 1) {
        const inserted = await runStatement(
          database,
          `insert into accounts (id, number, holder, type, currency, currency_exponent, nickname) values (?, ?, 'CUSTOMER', ?, ?, ?, ?)
           on conflict (number) do nothing`,
          [accountId, newAccountNumber(), input.type, scale.currency, scale.exponent, input.nickname ?? null],
        );
        if (inserted === 1) {
          await runStatement(database, `insert into user_accounts (user_id, account_id) values (?, ?)`, [actor.userId, accountId]);
          return { ok: true, accountId };
        }
      }
      throw new Error('could not draw a free account number');
    },
  });
}
