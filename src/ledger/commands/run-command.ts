import { setTimeout as sleep } from 'node:timers/promises';
import type { MikroORM } from '@mikro-orm/postgresql';
import { LedgerError, ValidationError, ledgerErrorFromCode } from '../errors.js';
import { MAX_COMMAND_ATTEMPTS, RETRY_BASE_DELAY_MS } from '../limits.js';
import { isId, runStatement, type Database } from '../persistence/database.js';
import { bufferMovementsOn, movementBufferOn, type MovementBuffer, type UnitSettings } from '../persistence/movement-buffer.js';
import type { Actor } from '../types.js';
import { lockHolds } from '../persistence/lock-holds.js';
import { lockDisputes, readDisputedTransactions } from '../persistence/lock-disputes.js';
import {
  claimKeysAndLock,
  claimName,
  freeClaims,
  lockOwnersAndCount,
  readPriorRecords,
  recordOutcome,
  type PriorRecord,
} from '../persistence/idempotency-records.js';
import { readReversedTransactions } from '../persistence/reversal-links.js';
import { readCheckDepositFacts } from '../persistence/check-deposit-facts.js';
import { askedAfterLocks, readRiskFacts, type RiskFactsAfterLocks, type UnitRiskFacts } from '../persistence/risk-facts.js';
import { bankingDayContaining } from '../calendar/banking-day-containing.js';
import type { RiskFactsRequest } from '../risk/risk-facts.js';
import { lockReviews } from '../persistence/lock-reviews.js';
import { lockBreaks } from '../persistence/lock-breaks.js';
import { currentRules } from '../risk/current-rules.js';
import { checkIdempotencyKey, hashRequest } from './idempotency.js';
import { Replay, type AnyCommand, type CommandResult, type Failure, type KeyState, type OutcomeOf, type Prefetch, type StoredOutcome } from './command.js';
import { UnitState, type UnitRiskInputs } from './unit-state.js';
import { observerOf, type CommandObserver } from './command-observer.js';
import { transientFailure } from './transient-failure.js';

export type { CommandResult } from './command.js';

/**
 * The one envelope every write runs through (DESIGN.md, after Formance's `forgeLog` and its bulker):
 * 1..N commands in arrival order in ONE database transaction. It claims every key and locks the
 * union of the commands' accounts in one statement (in id order), reads the clock once after the
 * locks, then gives each command in turn its decide against the shared snapshots, applies and
 * writes it, records its outcome under its key, and commits once. A command's business failure is
 * recorded and the next command proceeds (TigerBeetle's scopes: nothing of a refused command was
 * applied). A VALIDATION (or FORBIDDEN) failure stores nothing: its claim is deleted in the same unit, so at
 * commit it never existed (cheaper than a SAVEPOINT per command, and the claims stay one statement).
 * Deadlocks, serialization failures and a lost connection roll the whole unit back and run it
 * again (transient-failure.ts).
 */

/** The time the unit's commands decide and stamp with; tests set it. Default: the database's clock after the locks. */
export type Clock = () => Date;

export interface UnitOptions {
  readonly clock?: Clock;
  /**
   * Runs inside the unit after its commands, before commit, with their results: an audit or
   * journal record written in the same transaction as what it records (DESIGN.md 6).
   */
  readonly withinUnit?: (database: Database, results: readonly CommandResult[]) => Promise<void>;
  /**
   * Asked after each command's turn: true refuses the whole unit (TigerBeetle's linked events).
   * Nothing of the unit is committed, not even that command's refusal, and runCommands throws
   * UnitRefused (not retried: the same commands would be refused again). A batch's
   * `atomic: true` says so of every failure.
   */
  readonly refusesUnit?: (index: number, result: CommandResult) => boolean;
  /**
   * The longest any statement of the unit waits for a lock (PostgreSQL's lock_timeout, local to
   * the transaction); a longer wait fails the unit with 55P03, which is not retried here: a group
   * of commands (group-commit.ts) then runs each alone. Unset: waits as long as it takes.
   */
  readonly lockTimeoutMs?: number;
}

/**
 * What runCommands throws when `refusesUnit` said so: the index of the refusing command and its
 * result. Everything before it was rolled back; the commands after it never ran.
 */
export class UnitRefused {
  constructor(
    readonly index: number,
    readonly result: CommandResult,
  ) {}
}

export function errorOutcome(error: LedgerError): Failure {
  const field = error instanceof ValidationError ? error.field : undefined;
  return { ok: false, code: error.code, message: error.message, ...(field ? { field } : {}) };
}

/** Turns a stored failure back into its typed error; a success gives undefined. */
export function failureOf(outcome: StoredOutcome): LedgerError | undefined {
  return outcome.ok ? undefined : ledgerErrorFromCode(outcome.code, outcome.message, outcome.field);
}

/** Failures that store nothing under the key (see runTurn). */
const KEY_FREEING_CODES: ReadonlySet<string> = new Set(['VALIDATION', 'FORBIDDEN', 'IDEMPOTENCY_CONFLICT']);

/** A command as the unit runs it: its hash and whether its key may be claimed at all. */
interface Prepared {
  readonly command: AnyCommand;
  readonly claim: string;
  readonly requestHash: string;
  readonly malformedKey: ValidationError | undefined;
}

/** What the unit knows of each key as its commands run: who used it, and what it answered. */
interface KeyUse {
  readonly command: string;
  readonly requestHash: string;
  /** Undefined while nothing is stored under it (a claim this unit frees at its end). */
  readonly outcome: StoredOutcome | undefined;
}

function prepare(command: AnyCommand): Prepared {
  return {
    command,
    claim: claimName(command.actor.userId, command.idempotencyKey),
    requestHash: hashRequest(command.name, command.request),
    malformedKey: checkIdempotencyKey(command.idempotencyKey),
  };
}

/** The key's state at the command's turn: earlier commands of the unit first, then the claim, then another request's record. */
function keyStateOf(prepared: Prepared, uses: ReadonlyMap<string, KeyUse>, claimed: ReadonlySet<string>, prior: ReadonlyMap<string, PriorRecord>): KeyState {
  if (prepared.malformedKey) return { kind: 'malformed', error: prepared.malformedKey };
  const same = (use: { command: string; requestHash: string }) => use.command === prepared.command.name && use.requestHash === prepared.requestHash;
  const inUnit = uses.get(prepared.claim);
  // An earlier command of the unit stored nothing under the key (VALIDATION): it is still ours, and free.
  if (inUnit) return !inUnit.outcome ? { kind: 'fresh' } : same(inUnit) ? { kind: 'replay', outcome: inUnit.outcome } : { kind: 'conflict' };
  const earlier = prior.get(prepared.claim);
  if (earlier) return same(earlier) ? { kind: 'replay', outcome: earlier.outcome } : { kind: 'conflict' };
  if (claimed.has(prepared.claim)) return { kind: 'fresh' };
  throw new Error('an idempotency key was neither claimed nor found');
}

/** One command's turn: decide against the shared snapshots; on a plan, apply it and write it. */
async function runTurn(database: Database, prepared: Prepared, state: KeyState, unit: UnitState, now: Date): Promise<CommandResult> {
  const { command } = prepared;
  const snapshots = unit.snapshotsFor(command.actor, state);
  const decision: unknown = command.decide(snapshots, now);
  if (decision instanceof Replay) return { outcome: decision.outcome as StoredOutcome, replayed: true };
  if (decision instanceof LedgerError) {
    // A VALIDATION or FORBIDDEN failure, and a key that answered another request, store nothing
    // under it: none is a business outcome, and the key stays free for the request once it is allowed.
    const stored = !KEY_FREEING_CODES.has(decision.code);
    if (stored) {
      await recordOutcome(database, command.actor.userId, command.idempotencyKey, errorOutcome(decision));
      await command.recordRefusal?.(database, decision, snapshots, { actor: command.actor, idempotencyKey: command.idempotencyKey, now });
    }
    return { outcome: errorOutcome(decision), replayed: false };
  }
  // From here on the command succeeds: its effect is visible to the commands after it.
  command.apply(decision, unit);
  const written = await command.write(database, decision, { actor: command.actor, idempotencyKey: command.idempotencyKey, now });
  return { outcome: written.outcome, replayed: false, ...(written.transaction ? { written: written.transaction } : {}) };
}

/** The availability facts the unit's deposits asked for, read after the locks with the unit's clock. */
function readCheckDepositsOf(database: Database, prefetches: readonly Prefetch[], now: Date): ReturnType<typeof readCheckDepositFacts> {
  const asks = prefetches.flatMap((prefetch) => (prefetch.checkDepositsOf ? [prefetch.checkDepositsOf] : []));
  const accountIds = [...new Set(asks.flatMap((ask) => ask.accountIds))].filter(isId);
  const [first] = asks;
  if (!first || accountIds.length === 0) return Promise.resolve(new Map());
  // One banking day per unit: the policy is configuration, the same for every command.
  if (asks.some((ask) => JSON.stringify(ask.calendar) !== JSON.stringify(first.calendar))) throw new Error('the commands of one unit use different bank calendars');
  return readCheckDepositFacts(database, accountIds, first.calendar, now);
}

/** The risk asks of a unit's commands (Prefetch.riskOf), those that name an account id. */
function riskAsksOf(prefetches: readonly Prefetch[]): RiskFactsRequest[] {
  return prefetches.flatMap((prefetch) => (prefetch.riskOf && isId(prefetch.riskOf.accountId) ? [prefetch.riskOf] : []));
}

/**
 * How the claim-and-lock statement should read the risk facts, when a command asks: with the
 * banking day of the test's clock, or of the process's clock now (the database's clock after the
 * locks is not known yet; readRiskInputs checks the guess). Undefined when no command asks, or
 * when the asks use different calendars (readRiskInputs then reads them on their own).
 */
function riskFactsPlan(database: Database, prepared: readonly Prepared[], clock: Date | undefined): RiskFactsAfterLocks | undefined {
  const asks = riskAsksOf(prepared.map(({ command }) => command.prefetch));
  const [first, ...others] = asks;
  if (!first || others.some((ask) => ask.calendar !== first.calendar)) return undefined;
  return askedAfterLocks(database, [...new Set(asks.map((ask) => ask.accountId))], clock, bankingDayContaining(clock ?? new Date(), first.calendar));
}

/**
 * The risk step's inputs, when a command of the unit asked (Prefetch.riskOf): each ask's facts,
 * and the current rules, compiled. The facts are those the claim-and-lock statement read when its
 * banking day was the one of the unit's clock; otherwise (a unit that started just before a
 * cut-off, or mixed calendars) they are read here. Rules are kept per database while the number of
 * saved rule versions (read with the facts; the table is append-only, so every save raises it) is
 * unchanged, so a unit reloads them only after a save.
 */
async function readRiskInputs(database: Database, prefetches: readonly Prefetch[], now: Date, folded: FoldedFacts): Promise<UnitRiskInputs | undefined> {
  const asks = riskAsksOf(prefetches);
  if (asks.length === 0) return undefined;
  const inDay = folded.plan && folded.plan.day.startsAt.getTime() <= now.getTime() && now.getTime() < folded.plan.day.endsAt.getTime();
  const { facts, rulesVersion } = inDay && folded.facts ? folded.facts : await readRiskFacts(database, asks, now);
  return { rules: await currentRules(database, rulesVersion), facts, now };
}

/** What the claim-and-lock statement was asked to read of the risk facts, and what it read. */
interface FoldedFacts {
  readonly plan: RiskFactsAfterLocks | undefined;
  readonly facts: UnitRiskFacts | undefined;
}

/**
 * The unit's first statement: no statement timeout, and the journal's context (README "Auditing
 * the journal"): the request id and actor of the unit's first command, local to the transaction.
 * Held back by the unit's buffer and sent in front of the unit's first statement (movement-buffer.ts).
 */
function unitSettings(commands: readonly Prepared[], lockTimeoutMs: number | undefined): UnitSettings {
  const actor = commands[0]?.command.actor;
  const lockTimeout = lockTimeoutMs === undefined ? '' : `, set_config('lock_timeout', '${Math.max(1, Math.round(lockTimeoutMs))}ms', true)`;
  return {
    sql: `select set_config('statement_timeout', '0', true), set_config('tally.request_id', ?, true), set_config('tally.actor_id', ?, true)${lockTimeout}`,
    parameters: [actor?.requestId ?? '', actor?.userId ?? ''],
  };
}

/**
 * Tells the journal's triggers that what follows is `actor`'s, in its request: before a grouped
 * member's `withinUnit` (group-commit.ts). Inside a unit the switch is held back by the buffer and
 * rides in front of the next statement (movement-buffer.ts), after the movements held back, which
 * name their own requests in their statement anyway; outside one it is sent at once.
 */
export async function actInUnitAs(database: Database, actor: Actor): Promise<void> {
  const buffer = movementBufferOn(database);
  if (buffer) buffer.actAs(actor);
  else await runStatement(database, `select set_config('tally.request_id', ?, true), set_config('tally.actor_id', ?, true)`, [actor.requestId ?? '', actor.userId]);
}

/** What every turn of a unit reads: the keys the unit claimed, the records of the others, the clock. */
interface TurnInputs {
  readonly claimed: ReadonlySet<string>;
  readonly prior: ReadonlyMap<string, PriorRecord>;
  readonly now: Date;
}

/** Each command's turn in arrival order; what each key answered, for the claims the unit frees. */
async function runTurns(database: Database, movements: MovementBuffer, commands: readonly Prepared[], unit: UnitState, inputs: TurnInputs, options: UnitOptions): Promise<{ results: CommandResult[]; uses: Map<string, KeyUse> }> {
  const uses = new Map<string, KeyUse>();
  const results: CommandResult[] = [];
  for (const prepared of commands) {
    // A grouped unit's commands come from different requests: whatever the turn writes besides
    // its movement (a hold, a review, a refusal) is journalled under its own (journal-context.ts).
    movements.actAs(prepared.command.actor);
    const state = keyStateOf(prepared, uses, inputs.claimed, inputs.prior);
    const result = await runTurn(database, prepared, state, unit, inputs.now);
    // Thrown so that the transaction rolls back; runCommands passes it on to its caller, unretried.
    if (options.refusesUnit?.(results.length, result)) throw new UnitRefused(results.length, result);
    results.push(result);
    if (state.kind === 'fresh') {
      const storesNothing = !result.outcome.ok && KEY_FREEING_CODES.has(result.outcome.code);
      uses.set(prepared.claim, { command: prepared.command.name, requestHash: prepared.requestHash, outcome: storesNothing ? undefined : result.outcome });
    }
  }
  return { results, uses };
}

async function runUnit(database: Database, commands: readonly Prepared[], options: UnitOptions): Promise<CommandResult[]> {
  // Reads are held to a statement timeout (every connection's default); a money movement is not:
  // once its locks are taken it must never be cut between its write and its commit. The same
  // statement tells the journal's triggers who asked and in which request. It goes in front of the
  // unit's first statement, and from here the unit's movements are held back and written as
  // multi-row statements in front of the next other statement of the unit (movement-buffer.ts).
  const movements = bufferMovementsOn(database, commands[0]?.command.actor, unitSettings(commands, options.lockTimeoutMs));
  const claimable = commands.filter((prepared) => !prepared.malformedKey);
  // Reconciliation breaks (they name no customer account), disputes, then holds (their rows name their accounts), then the keys and the accounts: see lock-holds.ts.
  const breaks = await lockBreaks(database, [...new Set(claimable.flatMap(({ command }) => command.prefetch.breakIds ?? []).filter(isId))]);
  const disputes = await lockDisputes(database, [...new Set(claimable.flatMap(({ command }) => command.prefetch.disputeIds ?? []).filter(isId))]);
  const disputeAccounts = new Map(disputes.map((dispute) => [dispute.id, dispute.accountId]));
  const holds = await lockHolds(database, [...new Set(claimable.flatMap(({ command }) => command.prefetch.holdIds ?? []).filter(isId))]);
  const holdAccounts = new Map(holds.map((hold) => [hold.id, hold.accountId]));
  const clock = options.clock?.();
  const riskPlan = riskFactsPlan(database, claimable, clock);
  const locked = claimable.length
    ? await claimKeysAndLock(
        database,
        claimable.map(({ command, requestHash }) => ({
          userId: command.actor.userId,
          key: command.idempotencyKey,
          command: command.name,
          requestHash,
          // Text that is not an id names no account: it is simply not found.
          accountIds: [
            ...command.prefetch.accountIds.filter(isId),
            ...(command.prefetch.holdIds ?? []).flatMap((holdId) => holdAccounts.get(holdId) ?? []),
            ...(command.prefetch.disputeIds ?? []).flatMap((disputeId) => disputeAccounts.get(disputeId) ?? []),
          ],
          riskOf: command.prefetch.riskOf && isId(command.prefetch.riskOf.accountId) ? command.prefetch.riskOf : undefined,
        })),
        riskPlan,
      )
    : { claimed: new Set<string>(), accounts: [], lockedAt: new Date() };
  const now = clock ?? locked.lockedAt;
  const unclaimed = claimable.filter((prepared) => !locked.claimed.has(prepared.claim));
  const prior = await readPriorRecords(database, unclaimed.map(({ command }) => ({ userId: command.actor.userId, key: command.idempotencyKey })));
  const claimedCommands = claimable.filter((prepared) => locked.claimed.has(prepared.claim));
  const owners = [...new Set(claimedCommands.flatMap(({ command }) => command.prefetch.accountOwnerIds ?? []))];
  const reversalTargets = [...new Set(claimedCommands.flatMap(({ command }) => command.prefetch.reversalsOf ?? []))].filter(isId);
  const checkDeposits = await readCheckDepositsOf(database, claimedCommands.map(({ command }) => command.prefetch), now);
  const risk = await readRiskInputs(database, claimedCommands.map(({ command }) => command.prefetch), now, { plan: riskPlan, facts: locked.riskFacts });
  const reviews = await lockReviews(database, [...new Set(claimedCommands.flatMap(({ command }) => command.prefetch.reviewsOf ?? []))].filter(isId));
  const disputeTargets = [...new Set(claimedCommands.flatMap(({ command }) => command.prefetch.disputesOf ?? []))].filter(isId);
  const unit = new UnitState(
    locked.accounts,
    await lockOwnersAndCount(database, owners),
    await readReversedTransactions(database, reversalTargets),
    holds,
    checkDeposits,
    { risk, reviews, disputes, disputedTransactions: await readDisputedTransactions(database, disputeTargets), breaks },
  );

  const { results, uses } = await runTurns(database, movements, commands, unit, { claimed: locked.claimed, prior, now }, options);
  // The claims freed and withinUnit's rows (an audit line) go through db/sql.ts: the held-back
  // movements ride in front of the first of them. withinUnit must not use the ORM's unit of work
  // (em.flush passes no barrier). What is still held back is written before the commit.
  await freeClaims(database, claimedCommands.filter((prepared) => !uses.get(prepared.claim)?.outcome).map(({ command }) => ({ userId: command.actor.userId, key: command.idempotencyKey })));
  await options.withinUnit?.(database, results);
  // The unit's COMMIT rides with its last write: nothing is sent after this (pipelined-transactions.ts).
  await movements.finish({ commit: true });
  return results;
}

/**
 * Runs `commands` in arrival order in one unit and returns one result per command, in order. A
 * key used twice in the unit by the same request is a replay of the first use.
 */
export async function runCommands<const Commands extends readonly AnyCommand[]>(
  orm: MikroORM,
  commands: Commands,
  options: UnitOptions = {},
): Promise<{ -readonly [Index in keyof Commands]: CommandResult<OutcomeOf<Commands[Index]>> }> {
  const prepared = commands.map(prepare);
  type Results = { -readonly [Index in keyof Commands]: CommandResult<OutcomeOf<Commands[Index]>> };
  const observer = observerOf(orm);
  const startedAt = performance.now();
  for (let attempt = 1; ; attempt += 1) {
    try {
      const results = await orm.em.fork().transactional((database) => runUnit(database, prepared, options));
      reportUnit(observer, prepared, results, attempt, startedAt);
      return results as Results;
    } catch (error) {
      const sqlState = transientFailure(error);
      if (!sqlState || attempt >= MAX_COMMAND_ATTEMPTS) {
        reportUnit(observer, prepared, undefined, attempt, startedAt);
        throw error;
      }
      try {
        observer?.unitRetried(sqlState);
      } catch {
        // As in reportUnit: metrics never change what the envelope does.
      }
      // Jittered exponential backoff so the two sides of a deadlock do not collide again.
      await sleep(RETRY_BASE_DELAY_MS * 2 ** (attempt - 1) * (0.5 + Math.random()));
    }
  }
}

/**
 * Tells the ORM's observer (command-observer.ts) how the unit ended: once, after its commit or its
 * final failure. An observer that throws is ignored: a committed unit is answered as committed.
 */
function reportUnit(observer: CommandObserver | undefined, prepared: readonly Prepared[], results: readonly CommandResult[] | undefined, attempts: number, startedAt: number): void {
  if (!observer) return;
  const commands = prepared.map(({ command }, index) => {
    const outcome = results?.[index]?.outcome;
    return { name: command.name, outcome: !outcome ? 'ERROR' : outcome.ok ? 'OK' : outcome.code, replayed: results?.[index]?.replayed ?? false, actorUserId: command.actor.userId };
  });
  try {
    observer.unitFinished({ commands, committed: results !== undefined, attempts, durationMs: performance.now() - startedAt });
  } catch {
    // Metrics must never turn a commit into an error the client would retry.
  }
}

/** The single-command path: a unit of one. */
export async function runCommand<Command extends AnyCommand>(orm: MikroORM, command: Command, options?: UnitOptions): Promise<CommandResult<OutcomeOf<Command>>> {
  const [result] = await runCommands(orm, [command] as const, options);
  return result as CommandResult<OutcomeOf<Command>>;
}
