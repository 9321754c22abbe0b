import type { MikroORM } from '@mikro-orm/postgresql';
import type { Database } from '../persistence/database.js';
import type { AnyCommand, CommandResult, OutcomeOf } from './command.js';
import { actInUnitAs, runCommand, runCommands, type UnitOptions } from './run-command.js';

/**
 * Group commit (issue 11 §1; README "Speed", "Group commit"). Single movements that arrive while
 * another unit of the same process is already running wait a short window for company and then
 * run together as ONE unit of the envelope (run-command.ts runCommands, the same 1..N-command unit
 * a batch of postMovements is): every key claimed and every account locked once, in id order, in
 * one statement; each command decided in arrival order against the snapshots its predecessors
 * changed (so two withdrawals cannot spend the same money); one commit; each caller answered with
 * its own result. What the envelope already gives, the group keeps:
 *
 * - A business failure (INSUFFICIENT_FUNDS, a risk DENY, …) is decided in memory before anything
 *   of that command is written, recorded under its key, and the next command proceeds: no savepoint.
 * - The same key twice in one group is a replay of its first use (run-command.ts keyStateOf).
 * - Nothing is locked while a group collects: commands wait in this queue, in memory, and the
 *   transaction begins only when the group is complete.
 *
 * And adds:
 * - A database error (anything the envelope's own retries did not absorb) fails a group of many
 *   as a whole; each of its commands then runs again alone, so one command's fault reaches only
 *   its own caller, and every other command gets the outcome it would have had without grouping.
 *   A lock wait past GROUPED_LOCK_TIMEOUT_MS is such an error: a group never waits long for the
 *   slowest of its rows.
 * - A lone request never waits: with no unit of this committer running, a command starts at once.
 *   The window opens only while a unit is in flight (its commit is what the window overlaps),
 *   and a queue is also flushed as soon as the last running unit ends.
 * - Each command's journal records name its own request: its movements through the flush that
 *   writes them (write-movements.ts), anything else through the journal context its turn sets
 *   (journal-context.ts), and a command's `withinUnit` (an audit line) runs with its own result,
 *   as its own request (run-command.ts actInUnitAs).
 *
 * The committer is per ORM and per process (like command-observer.ts): several server processes
 * each group their own requests.
 */

/**
 * How long a unit of many waits for any one row lock before it gives up and its commands run
 * alone (each as long as it takes). Without it a group waits for its slowest lock: one command
 * on a row that another transaction holds (an operator's long unit, a stuck session) would hold
 * back every neighbour that needed no such row, past a graceful shutdown's drain. Long enough
 * for the ordinary wait on another unit's commit, which takes milliseconds.
 */
export const GROUPED_LOCK_TIMEOUT_MS = 250;

export interface GroupCommitSettings {
  /** GROUP_COMMIT_WINDOW_MS: longest a command waits for company once a unit is in flight. */
  readonly windowMs: number;
  /** GROUP_COMMIT_MAX: most commands in one unit; a full queue runs at once, without waiting. */
  readonly maxCommands: number;
}

/** What a committer has done since it was attached: how well commands found company. */
export interface GroupCommitStats {
  /** Units run, of one command or many. */
  readonly units: number;
  /** Commands run through those units (a fallback's re-runs not counted again). */
  readonly commands: number;
  /** The most commands one unit carried. */
  readonly largestUnit: number;
  /** Units of many that failed and whose commands ran again alone. */
  readonly fallbacks: number;
}

interface Waiting {
  readonly command: AnyCommand;
  readonly options: UnitOptions;
  readonly resolve: (result: CommandResult) => void;
  readonly reject: (error: unknown) => void;
}

export class GroupCommitter {
  private queue: Waiting[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  private counts = { units: 0, commands: 0, largestUnit: 0, fallbacks: 0 };

  constructor(
    private readonly orm: MikroORM,
    readonly settings: GroupCommitSettings,
  ) {}

  stats(): GroupCommitStats {
    return { ...this.counts };
  }

  /** Runs `command` in the next unit of this committer; resolves with its own result. */
  submit<Command extends AnyCommand>(command: Command, options: UnitOptions = {}): Promise<CommandResult<OutcomeOf<Command>>> {
    return new Promise<CommandResult>((resolve, reject) => {
      this.queue.push({ command, options, resolve, reject });
      if (this.inFlight === 0 || this.queue.length >= this.settings.maxCommands) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.settings.windowMs);
    }) as Promise<CommandResult<OutcomeOf<Command>>>;
  }

  /** Starts a unit with what is queued (at most maxCommands; the rest waits for the next). */
  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const members = this.queue.splice(0, this.settings.maxCommands);
    if (members.length === 0) return;
    // More than one unit's worth waited: the rest goes at the next turn, not after another window.
    if (this.queue.length > 0) this.timer = setTimeout(() => this.flush(), 0);
    this.inFlight += 1;
    this.counts.units += 1;
    this.counts.commands += members.length;
    this.counts.largestUnit = Math.max(this.counts.largestUnit, members.length);
    void this.runMembers(members).finally(() => {
      this.inFlight -= 1;
      // Nothing runs any more: those who came meanwhile need not wait out the window.
      if (this.inFlight === 0 && this.queue.length > 0) this.flush();
    });
  }

  private async runMembers(members: readonly Waiting[]): Promise<void> {
    const [only] = members;
    if (only && members.length === 1) return settle(only, () => runCommand(this.orm, only.command, only.options));
    let results: CommandResult[];
    try {
      results = await runCommands(
        this.orm,
        members.map(({ command }) => command),
        { withinUnit: (database, all) => eachWithinUnit(database, members, all), lockTimeoutMs: GROUPED_LOCK_TIMEOUT_MS },
      );
    } catch {
      // Which command failed is not known (or a lock waited past GROUPED_LOCK_TIMEOUT_MS), and the
      // unit rolled back whole: each runs again on its own, as it would have without grouping
      // (concurrently, as their requests came), with no lock timeout.
      this.counts.fallbacks += 1;
      await Promise.all(members.map((member) => settle(member, () => runCommand(this.orm, member.command, member.options))));
      return;
    }
    members.forEach((member, index) => member.resolve(results[index]!));
  }
}

/** Each member's own `withinUnit`, with its own result, as its own request (the journal names it). */
async function eachWithinUnit(database: Database, members: readonly Waiting[], results: readonly CommandResult[]): Promise<void> {
  for (const [index, member] of members.entries()) {
    const withinUnit = member.options.withinUnit;
    if (!withinUnit) continue;
    await actInUnitAs(database, member.command.actor);
    await withinUnit(database, [results[index]!]);
  }
}

async function settle(member: Waiting, run: () => Promise<CommandResult>): Promise<void> {
  try {
    member.resolve(await run());
  } catch (error) {
    member.reject(error);
  }
}

const committers = new WeakMap<object, GroupCommitter>();

/** Groups the single movements run on `orm` from now on (undefined: each runs alone again). */
export function groupCommits(orm: MikroORM, settings: GroupCommitSettings | undefined): GroupCommitter | undefined {
  if (!settings) {
    committers.delete(orm);
    return undefined;
  }
  const committer = new GroupCommitter(orm, settings);
  committers.set(orm, committer);
  return committer;
}

export function groupCommitterOf(orm: object): GroupCommitter | undefined {
  return committers.get(orm);
}

/**
 * The single-movement path (deposit, withdraw, transfer, holds): through the ORM's committer when
 * one is attached, else a unit of one. A unit with its own clock (tests) or its own refusal rule
 * is its caller's alone, never grouped.
 */
export function runMovement<Command extends AnyCommand>(orm: MikroORM, command: Command, options: UnitOptions = {}): Promise<CommandResult<OutcomeOf<Command>>> {
  const committer = groupCommitterOf(orm);
  if (!committer || options.clock || options.refusesUnit) return runCommand(orm, command, options);
  return committer.submit(command, options);
}
