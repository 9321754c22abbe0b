import { setTimeout as sleep } from 'node:timers/promises';
import type { MikroORM } from '@mikro-orm/postgresql';
import { IdempotencyConflictError, LedgerError, ValidationError, ledgerErrorFromCode } from '../errors.js';
import { MAX_COMMAND_ATTEMPTS, RETRY_BASE_DELAY_MS } from '../limits.js';
import type { Database } from '../persistence/database.js';
import type { AccountSnapshot, Actor } from '../types.js';
import type { TransactionView } from '../queries/transactions.js';
import { checkIdempotencyKey, claimIdempotencyKey, hashRequest, recordOutcome, type StoredOutcome } from './idempotency.js';

/**
 * The one envelope every write runs through (DESIGN.md, after Formance's `forgeLog`):
 * cheap checks, idempotency claim, the command's own lock-decide-write, the outcome record, and
 * commit, all in one database transaction. Deadlocks and serialization failures roll the whole
 * unit back and run it again, so no client ever sees them and nothing is half-done.
 */
export interface Command {
  /** Stored with the key: a key reused for another command is a conflict. */
  readonly name: string;
  readonly actor: Actor;
  readonly idempotencyKey: string;
  /** Everything the client asked, normalised; its hash tells a replay from a conflict. */
  readonly request: unknown;
  /** Field checks without I/O. A failure here is deterministic, so it is answered, not recorded. */
  validate(): LedgerError | undefined;
  /**
   * Customer accounts a money movement works on. The envelope locks them in the same round trip
   * as the idempotency claim and hands their snapshots to `execute`.
   */
  readonly lockAccountIds?: readonly string[];
  /**
   * Decide and write. Returns a business error as a value: it is recorded and committed too,
   * except a VALIDATION error, which rolls the unit back (see `ValidationRollback`). A command
   * whose own write already stored the outcome under the key says so with `Recorded`.
   */
  execute(database: Database, locked: ReadonlyMap<string, AccountSnapshot>): Promise<StoredOutcome | Recorded>;
}

/** An outcome the command's write stored under the key itself, saving the envelope a round trip. */
export interface Recorded {
  readonly recorded: StoredOutcome;
  /** The transaction the command wrote, when it wrote one. */
  readonly transaction?: TransactionView;
}

export interface CommandResult {
  readonly outcome: StoredOutcome;
  /** True when the outcome is the stored one of an earlier request with the same key. */
  readonly replayed: boolean;
  /** The transaction this request wrote (never on a replay), so the response need not read it back. */
  readonly written?: TransactionView;
}

export function errorOutcome(error: LedgerError): StoredOutcome {
  const field = error instanceof ValidationError ? error.field : undefined;
  return { ok: false, code: error.code, message: error.message, ...(field ? { field } : {}) };
}

/** Turns a stored failure back into its typed error; success outcomes are returned as they are. */
export function failureOf(outcome: StoredOutcome): LedgerError | undefined {
  return outcome.ok ? undefined : ledgerErrorFromCode(outcome.code, outcome.message, outcome.field);
}

/**
 * A request that failed validation stores nothing under its key (Stripe's rule, DESIGN.md "Ledger
 * core, second edition" 8), also when the check needed the locked account (its currency's digits):
 * the corrected request may reuse the key. Thrown out of the unit so the claim row and the row
 * locks are rolled back with it; a request waiting on the claim then takes the key and decides
 * for itself. Business failures (insufficient funds, a closed account) are recorded as before.
 */
class ValidationRollback extends Error {
  constructor(readonly outcome: StoredOutcome) {
    super('a validation failure rolls its idempotency claim back');
  }
}

function isValidationFailure(outcome: StoredOutcome): boolean {
  return !outcome.ok && outcome.code === 'VALIDATION';
}

const TRANSIENT_SQL_STATES = new Set(['40001', '40P01']);

function isTransient(error: unknown): boolean {
  const candidate = error as { sqlState?: string; code?: string } | undefined;
  return TRANSIENT_SQL_STATES.has(candidate?.sqlState ?? '') || TRANSIENT_SQL_STATES.has(candidate?.code ?? '');
}

export async function runCommand(orm: MikroORM, command: Command): Promise<CommandResult> {
  const invalid = checkIdempotencyKey(command.idempotencyKey) ?? command.validate();
  if (invalid) return { outcome: errorOutcome(invalid), replayed: false };
  const requestHash = hashRequest(command.name, command.request);
  const { userId } = command.actor;

  for (let attempt = 1; ; attempt += 1) {
    try {
      return await orm.em.fork().transactional(async (database) => {
        // Reads are held to a statement timeout (every connection's default); a money movement is
        // not: once its locks are taken it must never be cut between its write and its commit.
        await database.execute('set local statement_timeout = 0');
        const claim = await claimIdempotencyKey(database, {
          userId,
          key: command.idempotencyKey,
          command: command.name,
          requestHash,
          ...(command.lockAccountIds ? { lockAccountIds: command.lockAccountIds } : {}),
        });
        if (claim.kind === 'replay') return { outcome: claim.outcome, replayed: true };
        if (claim.kind === 'conflict') return { outcome: errorOutcome(new IdempotencyConflictError()), replayed: false };
        const executed = await command.execute(database, claim.accounts);
        if ('recorded' in executed) {
          return { outcome: executed.recorded, replayed: false, ...(executed.transaction ? { written: executed.transaction } : {}) };
        }
        if (isValidationFailure(executed)) throw new ValidationRollback(executed);
        await recordOutcome(database, userId, command.idempotencyKey, executed);
        return { outcome: executed, replayed: false };
      });
    } catch (error) {
      if (error instanceof ValidationRollback) return { outcome: error.outcome, replayed: false };
      if (!isTransient(error) || attempt >= MAX_COMMAND_ATTEMPTS) throw error;
      // Jittered exponential backoff so the two sides of a deadlock do not collide again.
      await sleep(RETRY_BASE_DELAY_MS * 2 ** (attempt - 1) * (0.5 + Math.random()));
    }
  }
}
