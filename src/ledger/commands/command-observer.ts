/**
 * The envelope's observer hook: what runCommands tells the outside about each unit, so metrics
 * (src/metrics/) wrap the ledger without the ledger knowing them (DESIGN.md "Ledger core, second
 * edition" 6; test/unit/ledger-imports.test.ts keeps prom-client out of here). An observer is
 * attached to one ORM, so two apps in one process (the tests) count apart.
 */

/** One command of a committed unit, as its client was answered. */
export interface ObservedCommand {
  /** The command's name (`deposit`, `transfer`, …). */
  readonly name: string;
  /** `OK`, or the refusal's code (`INSUFFICIENT_FUNDS`, `VALIDATION`, …). */
  readonly outcome: string;
  /** The answer came from the key's stored outcome: nothing moved this time. */
  readonly replayed: boolean;
  /** Who sent it: read-your-writes on replicas (src/db/replicas/) routes this caller's next reads by it. */
  readonly actorUserId: string;
}

/** A unit that committed, or that gave up (a non-transient error, or its last attempt). */
export interface ObservedUnit {
  readonly commands: readonly ObservedCommand[];
  readonly committed: boolean;
  /** Attempts the unit took (1 when nothing had to be run again). */
  readonly attempts: number;
  /** From the first attempt's start to the commit (or the failure), retries and their waits included. */
  readonly durationMs: number;
}

export interface CommandObserver {
  /** Called once per unit, after its commit or its final failure: never once per attempt. */
  unitFinished(unit: ObservedUnit): void;
  /** A transient failure (deadlock, serialization) rolled the unit back; it runs again. */
  unitRetried(sqlState: string): void;
}

const observers = new WeakMap<object, CommandObserver>();

/** Attaches `observer` to every unit run on `orm` (undefined detaches it). */
export function observeCommands(orm: object, observer: CommandObserver | undefined): void {
  if (observer) observers.set(orm, observer);
  else observers.delete(orm);
}

export function observerOf(orm: object): CommandObserver | undefined {
  return observers.get(orm);
}

/** One observer that tells each of `observers` in turn (metrics and traces watch the same units). */
export function everyObserver(...observers: readonly CommandObserver[]): CommandObserver {
  return {
    unitFinished: (unit) => observers.forEach((observer) => observer.unitFinished(unit)),
    unitRetried: (sqlState) => observers.forEach((observer) => observer.unitRetried(sqlState)),
  };
}
