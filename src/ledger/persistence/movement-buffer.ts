import { holdWritesOn, pendingWritesOn, type PendingWrites } from '../../db/pending-writes.js';
import type { Database } from './database.js';
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
 * claims freed at the unit's end, a journal context switch (actInUnitAs) and any read all see the
 * movements before them, in order. The envelope flushes at the end of the unit's commands and
 * before `withinUnit` (which may use the ORM's unit of work, which passes no barrier).
 */
export class MovementBuffer implements PendingWrites {
  private pending: MovementRows[] = [];
  private inFlight: Promise<void> | undefined;

  constructor(private readonly database: Database) {}

  /** Holds a movement back; a correction is written alone (write-movements.ts accountUpdates). */
  async add(movement: MovementRows): Promise<void> {
    if (movement.correction) await this.flush();
    this.pending.push(movement);
    if (movement.correction || this.pending.length >= MAX_MOVEMENTS_PER_FLUSH) await this.flush();
  }

  /**
   * Writes what is held back. A statement that arrives while a flush is in flight waits for it:
   * the held-back rows are taken at once, so without the wait it could reach PostgreSQL first.
   */
  async flush(): Promise<void> {
    while (this.inFlight) await this.inFlight;
    if (this.pending.length === 0) return;
    const movements = this.pending;
    this.pending = [];
    this.inFlight = writeMovements(this.database, movements).finally(() => {
      this.inFlight = undefined;
    });
    await this.inFlight;
  }
}

/** The unit's buffer, made when the unit starts: from then on its movements are held back. */
export function bufferMovementsOn(database: Database): MovementBuffer {
  const buffer = new MovementBuffer(database);
  holdWritesOn(database, buffer);
  return buffer;
}

/** The buffer of the unit `database` runs, if any. */
export function movementBufferOn(database: Database): MovementBuffer | undefined {
  const pending = pendingWritesOn(database);
  return pending instanceof MovementBuffer ? pending : undefined;
}
