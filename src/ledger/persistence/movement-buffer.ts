import { holdWritesOn, pendingWritesOn, sendsStatementsTogether, type HeldStatements, type PendingWrites } from '../../db/pending-writes.js';
import { commitsWithLastWrite, RIDING_COMMIT } from '../../db/pipelined-transactions.js';
import { quoteLongText } from '../../db/sql-literal.js';
import type { Actor } from '../types.js';
import type { Database } from './database.js';
import { JournalContext } from './journal-context.js';
import type { MovementRows } from './movement-rows.js';
import { movementWrite } from './write-movements.js';

/**
 * How many movements one flush writes at most. Measured (README "Batches"): a 1,000-item batch
 * in one statement of jsonb arrays; the bound keeps a statement's size in check should units grow.
 */
export const MAX_MOVEMENTS_PER_FLUSH = 1000;

/**
 * The unit's movement writes, held back and sent as multi-row statements (write-movements.ts).
 *
 * The invariant: a held-back movement is written before ANY other statement of its transaction
 * runs. The buffer is the transaction's pending writes (db/pending-writes.ts), so every statement
 * through db/sql.ts flushes it first: a hold row, a review, a refusal's outcome, a dispute, the
 * claims freed at the unit's end and any read all see the movements before them, in order. The
 * envelope writes what is still held back after `withinUnit`, before the commit (`finish`);
 * `withinUnit` writes through db/sql.ts, since the ORM's unit of work passes no barrier.
 *
 * It also holds back the unit's journal context switch (journal-context.ts): noted at each turn,
 * sent after the movements and before the statement the barrier guards, so that statement's rows
 * are journalled under the request they belong to. The movements name their own requests in
 * their flush (write-movements.ts), so consecutive movements of different requests flush as one.
 *
 * And it holds back the unit's settings (run-command.ts), its first statement: they go in front of
 * whatever the unit sends first. On PostgreSQL everything held back rides in front of the next
 * statement, in its round trip (db/pending-writes.ts take): the settings with the claim, the
 * movements with the audit line after them.
 */
export class MovementBuffer implements PendingWrites {
  private pending: MovementRows[] = [];
  private inFlight: Promise<void> | undefined;
  private readonly context: JournalContext;
  /** The unit's settings, until its first statement carries them. */
  private settings: UnitSettings | undefined;
  /** Writes nobody reads the answer of (an audit line), held back after the movements: see append. */
  private appended: HeldStatement[] = [];
  /** Set by finish: nothing may be held back after it. */
  private finished = false;

  constructor(
    private readonly database: Database,
    firstActor: Actor | undefined,
    settings?: UnitSettings,
  ) {
    this.context = new JournalContext(firstActor);
    this.settings = settings;
  }

  /** What follows is `actor`'s (run-command.ts actInUnitAs): sent before the next statement, if it differs. */
  actAs(actor: Actor): void {
    this.context.actAs(actor);
  }

  /** Holds a movement back; a correction is written alone (write-movements.ts accountUpdates). */
  async add(movement: MovementRows): Promise<void> {
    // A correction is written alone; a movement of no request is journalled under the unit's
    // context, so the context its turn wants is sent before it (the flush carries no request for it).
    // An appended write goes first: the movements are sent before it, and it was made before this one.
    if (this.finished) throw new Error('the unit has finished: a movement added now would never be written');
    if (movement.correction || (movement.requestId === null && !this.context.current) || this.appended.length > 0) await this.flush();
    this.pending.push(movement);
    if (movement.correction || this.pending.length >= MAX_MOVEMENTS_PER_FLUSH) await this.flush();
  }

  /**
   * Holds back a write whose answer nobody reads (run-command.ts withinUnit's audit line), sent
   * after the movements, with the journal context it was made under, in front of the next statement or, at the end of
   * the unit, in the message that carries its COMMIT: one round trip fewer for an audited unit.
   */
  append(statement: { readonly sql: string; readonly parameters: readonly unknown[] }): void {
    if (this.finished) throw new Error('the unit has finished: a write appended now would never be sent');
    // Journalled under the request it was made for: the context switch it needs goes with it
    // (a grouped unit's members each append their own line, group-commit.ts).
    const context = this.context.take();
    if (context) this.appended.push(context);
    this.appended.push(statement);
  }

  /**
   * Writes what is held back: the settings, the movements, the appended writes, then the journal context, each its own
   * statement. A statement that arrives while a flush is in flight waits for it: the held-back
   * rows are taken at once, so without the wait it could reach PostgreSQL first.
   */
  async flush(): Promise<void> {
    while (this.inFlight) await this.inFlight;
    const statements = this.takeStatements();
    if (statements.length === 0) return;
    this.inFlight = this.send(statements).finally(() => {
      this.inFlight = undefined;
    });
    await this.inFlight;
  }

  /** Everything held back as statements for the next one's message (db/pending-writes.ts), in the order flush sends them. */
  async take(): Promise<HeldStatements | undefined> {
    while (this.inFlight) await this.inFlight;
    const statements = this.takeStatements();
    if (statements.length === 0) return undefined;
    return joined(statements);
  }

  /**
   * The end of the unit's statements: held-back movements are written before the commit (which
   * passes no barrier). A journal switch is dropped: nothing follows for it to govern (a movement
   * of no request had its context sent before it was held back, see add). So are settings when no
   * movement or appended write is held back: then nothing the unit still sends needs them. With `commit` the
   * unit's COMMIT rides in the same message where it can (commitsWithLastWrite), and then nothing
   * may be sent on the transaction after it.
   */
  async finish(options: { readonly commit?: boolean } = {}): Promise<void> {
    while (this.inFlight) await this.inFlight;
    this.finished = true;
    this.context.take();
    if (this.pending.length === 0 && this.appended.length === 0) this.settings = undefined;
    if (!options.commit || !commitsWithLastWrite(this.database)) return this.flush();
    const statements = this.takeStatements();
    if (statements.length === 0) return;
    // In flight like a flush: a statement arriving now waits for it (and the connection then refuses it).
    this.inFlight = this.sendCommitting(statements).finally(() => {
      this.inFlight = undefined;
    });
    await this.inFlight;
  }

  /**
   * The last statements and the unit's COMMIT as one message (db/pipelined-transactions.ts): the
   * write checks its own counts (write-movements.ts), so a failed check stops the COMMIT; the
   * checks here run after it and can only repeat what the statement already enforced.
   */
  private async sendCommitting(statements: readonly HeldStatement[]): Promise<void> {
    await this.sendInOneMessage([...statements, { sql: RIDING_COMMIT, parameters: [] }]);
  }

  /** Statements as one message of several (PostgreSQL runs them in order and stops at the first error), each checked. */
  private async sendInOneMessage(statements: readonly HeldStatement[]): Promise<void> {
    const message = joined(statements);
    const answer = await this.database.execute(message.sql, quoteLongText(message.parameters), 'all');
    // One statement answers its rows; several, an array of each one's.
    message.ran(message.count === 1 ? [answer] : (answer as unknown[]));
  }

  /** What is held back, in the order it must run; afterwards nothing is. */
  private takeStatements(): HeldStatement[] {
    const statements: HeldStatement[] = [];
    if (this.settings) statements.push(this.settings);
    if (this.pending.length > 0) {
      const { statement, check } = movementWrite(this.pending);
      statements.push({ sql: statement.sql, parameters: statement.values, check });
    }
    // The appended writes carry the context switches they need; a switch made after the last of them goes after them.
    statements.push(...this.appended);
    const context = this.context.take();
    if (context) statements.push(context);
    this.settings = undefined;
    this.pending = [];
    this.appended = [];
    return statements;
  }

  /** Straight on the entity manager (in one message on PostgreSQL, one after the other on PGlite): this IS the barrier db/sql.ts waits for. */
  private async send(statements: readonly HeldStatement[]): Promise<void> {
    // On PostgreSQL in one message, as they would ride in front of a statement (db/pending-writes.ts).
    if (sendsStatementsTogether(this.database)) return this.sendInOneMessage(statements);
    for (const statement of statements) {
      // Run first, then check: `check?.(await …)` would skip the statement itself when there is no check.
      // Long JSON quoted natively (db/sql-literal.ts): the unit's rows are kilobytes, and this is
      // how a unit's last movements usually leave, from finish(), with no statement to ride on.
      const result = await this.database.execute(statement.sql, quoteLongText(statement.parameters), 'all');
      statement.check?.(result);
    }
  }
}

/** Statements as one message's text and parameters, and the check of each one's answer, in order. */
function joined(statements: readonly HeldStatement[]): HeldStatements {
  return {
    sql: statements.map((statement) => statement.sql).join(';\n'),
    parameters: statements.flatMap((statement) => statement.parameters),
    count: statements.length,
    ran: (results) => statements.forEach((statement, index) => statement.check?.(results[index])),
  };
}

/** One held-back statement, and the check of what it answered (the movement write's counts). */
interface HeldStatement {
  readonly sql: string;
  readonly parameters: readonly unknown[];
  readonly check?: (result: unknown) => void;
}

/** The unit's settings statement (run-command.ts): sent in front of the unit's first statement. */
export interface UnitSettings {
  readonly sql: string;
  readonly parameters: readonly unknown[];
}

/**
 * The unit's buffer, made when the unit starts: from then on its movements are held back.
 * `firstActor`: whom the unit's settings name to the journal; `settings`: the unit's first statement.
 */
export function bufferMovementsOn(database: Database, firstActor: Actor | undefined, settings?: UnitSettings): MovementBuffer {
  const buffer = new MovementBuffer(database, firstActor, settings);
  holdWritesOn(database, buffer);
  return buffer;
}

/** The buffer of the unit `database` runs, if any. */
export function movementBufferOn(database: Database): MovementBuffer | undefined {
  const pending = pendingWritesOn(database);
  return pending instanceof MovementBuffer ? pending : undefined;
}
