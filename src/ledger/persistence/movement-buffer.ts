import { holdWritesOn, pendingWritesOn, type PendingWrites } from '../../db/pending-writes.js';
import type { Actor } from '../types.js';
import type { Database } from './database.js';
import { JournalContext } from './journal-context.js';
import type { MovementRows } from './movement-rows.js';
import { writeMovements } from './write-movements.js';

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
 * envelope flushes at the end of the unit's commands and before `withinUnit` (which may use the
 * ORM's unit of work, which passes no barrier).
 *
 * It also holds back the unit's journal context switch (journal-context.ts): noted at each turn,
 * sent after the movements and before the statement the barrier guards, so that statement's rows
 * are journalled under the request they belong to. The movements name their own requests in
 * their flush (write-movements.ts), so consecutive movements of different requests flush as one.
 */
export class MovementBuffer implements PendingWrites {
  private pending: MovementRows[] = [];
  private inFlight: Promise<void> | undefined;
  private readonly context: JournalContext;

  constructor(
    private readonly database: Database,
    firstActor: Actor | undefined,
  ) {
    this.context = new JournalContext(firstActor);
  }

  /** What follows is `actor`'s (run-command.ts actInUnitAs): sent before the next statement, if it differs. */
  actAs(actor: Actor): void {
    this.context.actAs(actor);
  }

  /** Holds a movement back; a correction is written alone (write-movements.ts accountUpdates). */
  async add(movement: MovementRows): Promise<void> {
    // A correction is written alone; a movement of no request is journalled under the unit's
    // context, so the context its turn wants is sent before it (the flush carries no request for it).
    if (movement.correction || (movement.requestId === null && !this.context.current)) await this.flush();
    this.pending.push(movement);
    if (movement.correction || this.pending.length >= MAX_MOVEMENTS_PER_FLUSH) await this.flush();
  }

  /**
   * Writes what is held back: the movements, then the journal context. A statement that arrives
   * while a flush is in flight waits for it: the held-back rows are taken at once, so without the
   * wait it could reach PostgreSQL first.
   */
  async flush(): Promise<void> {
    while (this.inFlight) await this.inFlight;
    if (this.pending.length === 0 && this.context.current) return;
    const movements = this.pending;
    this.pending = [];
    this.inFlight = this.write(movements).finally(() => {
      this.inFlight = undefined;
    });
    await this.inFlight;
  }

  private async write(movements: readonly MovementRows[]): Promise<void> {
    await writeMovements(this.database, movements);
    await this.context.send(this.database);
  }
}

/**
 * The unit's buffer, made when the unit starts: from then on its movements are held back.
 * `firstActor`: whom the unit's first statement named to the journal.
 */
export function bufferMovementsOn(database: Database, firstActor: Actor | undefined): MovementBuffer {
  const buffer = new MovementBuffer(database, firstActor);
  holdWritesOn(database, buffer);
  return buffer;
}

/** The buffer of the unit `database` runs, if any. */
export function movementBufferOn(database: Database): MovementBuffer | undefined {
  const pending = pendingWritesOn(database);
  return pending instanceof MovementBuffer ? pending : undefined;
}
