import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { ForbiddenError, LimitExceededError, ValidationError, type LedgerError } from '../errors.js';
import { MAX_ACCOUNTS_PER_USER, MAX_NICKNAME_LENGTH } from '../limits.js';
import { parseCurrency, type CurrencyScale } from '../money.js';
import { newAccountNumber } from '../account-number.js';
import { checkKey } from '../decide/request-checks.js';
import { ensureInternalAccounts } from '../persistence/internal-accounts.js';
import { recordOutcome } from '../persistence/idempotency-records.js';
import { runStatement, type Database } from '../persistence/database.js';
import { ACCOUNT_TYPES, type AccountType, type Actor } from '../types.js';
import type { CommandResult, CommandSnapshots, LedgerCommand, OpenAccountOutcome, Replay } from './command.js';
import { runCommand, type UnitOptions } from './run-command.js';

export interface OpenAccountInput {
  readonly type: AccountType;
  readonly currency: string;
  readonly nickname?: string | null;
  readonly idempotencyKey: string;
}

interface OpenAccountPlan {
  readonly type: AccountType;
  readonly scale: CurrencyScale;
  readonly nickname: string | null;
}

/** Account numbers are random; a collision is retried with a new one, never surfaced. */
const MAX_NUMBER_ATTEMPTS = 5;

/**
 * Opening an account, checks in order: 1 the key (malformed, replay, conflict); 2 the type; 3 the
 * currency; 4 the nickname; 5 a service holds no accounts (FORBIDDEN: a rail integration moves
 * customers' money, it keeps none); 6 the owner's number of accounts (LIMIT_EXCEEDED). The exponent is
 * stored with the account, never looked up again.
 */
export function decideOpenAccount(
  input: Omit<OpenAccountInput, 'idempotencyKey'>,
  snapshots: CommandSnapshots<OpenAccountOutcome>,
): OpenAccountPlan | LedgerError | Replay<OpenAccountOutcome> {
  const keyCheck = checkKey(snapshots.key);
  if (keyCheck) return keyCheck;
  if (!ACCOUNT_TYPES.includes(input.type)) return new ValidationError(`Unknown account type ${input.type}.`, 'type');
  const scale = parseCurrency(input.currency);
  if (scale instanceof ValidationError) return scale;
  const nickname = input.nickname ?? '';
  if (nickname.length > MAX_NICKNAME_LENGTH || /[\u0000-\u001f\u007f]/.test(nickname)) {
    return new ValidationError(`nickname may have at most ${MAX_NICKNAME_LENGTH} printable characters.`, 'nickname');
  }
  if (snapshots.actor.role === 'SERVICE') return new ForbiddenError('A service holds no accounts; accounts are opened by customers.');
  const owned = snapshots.ownedAccountCount(snapshots.actor.userId);
  if (owned === undefined) throw new Error(`actor ${snapshots.actor.userId} has no user row`);
  if (owned >= MAX_ACCOUNTS_PER_USER) return new LimitExceededError(`A customer may hold at most ${MAX_ACCOUNTS_PER_USER} accounts.`);
  return { type: input.type, scale, nickname: input.nickname ?? null };
}

async function insertAccount(database: Database, actor: Actor, plan: OpenAccountPlan): Promise<string> {
  await ensureInternalAccounts(database, plan.scale);
  const accountId = randomUUID();
  for (let attempt = 1; attempt <= MAX_NUMBER_ATTEMPTS; attempt += 1) {
    const inserted = await runStatement(
      database,
      `insert into accounts (id, number, holder, type, currency, currency_exponent, nickname) values (?, ?, 'CUSTOMER', ?, ?, ?, ?)
       on conflict (number) do nothing`,
      [accountId, newAccountNumber(), plan.type, plan.scale.currency, plan.scale.exponent, plan.nickname],
    );
    if (inserted === 1) {
      await runStatement(database, `insert into user_accounts (user_id, account_id) values (?, ?)`, [actor.userId, accountId]);
      return accountId;
    }
  }
  throw new Error('could not draw a free account number');
}

/** Opens a customer account owned by the actor, at zero with version 0. */
export function openAccountCommand(actor: Actor, input: OpenAccountInput): LedgerCommand<OpenAccountPlan, OpenAccountOutcome> {
  const { idempotencyKey, ...request } = input;
  return {
    name: 'openAccount',
    actor,
    idempotencyKey,
    request,
    // The owner's row is locked: it serialises one user's concurrent opens, so the limit holds.
    prefetch: { accountIds: [], accountOwnerIds: [actor.userId] },
    decide: (snapshots) => decideOpenAccount(request, snapshots),
    apply: (_plan, unit) => unit.countOpenedAccount(actor.userId),
    async write(database, plan, context) {
      const accountId = await insertAccount(database, context.actor, plan);
      const outcome = { ok: true as const, accountId };
      await recordOutcome(database, context.actor.userId, context.idempotencyKey, outcome);
      return { outcome };
    },
  };
}

export function openAccount(orm: MikroORM, actor: Actor, input: OpenAccountInput, options?: UnitOptions): Promise<CommandResult<OpenAccountOutcome>> {
  return runCommand(orm, openAccountCommand(actor, input), options);
}
