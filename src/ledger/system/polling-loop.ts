import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '../../logger.js';
import type { Clock } from '../commands/run-command.js';
import { queryRows } from '../persistence/database.js';

/**
 * The timer every scheduler of the system actor runs on (hold expiry, dispute credits): a round at
 * start, then one `intervalMs` after the previous round settled, never two at once in a process. A
 * failed round is logged and tried again at the next interval, because the due rows are still due.
 * `stop()` cancels the next round and waits for the running one, so a server shuts down after its
 * last unit committed or rolled back. Rounds read `stopped` to end early between batches.
 */
export class PollingLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stoppedFlag = false;

  constructor(
    private readonly round: () => Promise<unknown>,
    private readonly intervalMs: number,
    private readonly logger: Logger,
    private readonly failureMessage: string,
  ) {}

  get stopped(): boolean {
    return this.stoppedFlag;
  }

  start(): void {
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stoppedFlag = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stoppedFlag || this.running) return;
    this.timer = setTimeout(() => {
      this.running = this.round()
        .then(() => undefined)
        .catch((error: unknown) => this.logger.warn({ err: error }, this.failureMessage))
        .finally(() => {
          this.running = undefined;
          this.schedule(this.intervalMs);
        });
    }, delayMs);
  }
}

/** How one scheduler claims its due rows: `select` ends with its `order by`, and compares its due column with `coalesce(?::timestamptz, now())`. */
export interface DueScan {
  readonly select: string;
  readonly batchSize: number;
  /** The tests' clock; without it the database's `now()` decides what is due. */
  readonly clock: Clock | undefined;
  readonly stopped: () => boolean;
}

/**
 * Claims due rows `batchSize` at a time `FOR UPDATE SKIP LOCKED` (passing over rows another
 * process or a client is working on right now) in a short transaction of its own, and hands each
 * batch to `handle`, which runs the system's commands for it and says how many it did. Goes on at
 * once while a batch was full and `handle` did something: a full batch of which nothing was done
 * would come back as it is. Returns the total `handle` reported.
 */
export async function drainDue<Row>(orm: MikroORM, scan: DueScan, handle: (due: Row[]) => Promise<number>): Promise<number> {
  let done = 0;
  for (;;) {
    const due = await orm.em.fork().transactional((database) =>
      queryRows<Row>(database, `${scan.select} limit ${scan.batchSize} for update skip locked`, [scan.clock?.().toISOString() ?? null]),
    );
    if (due.length === 0 || scan.stopped()) return done;
    const handled = await handle(due);
    done += handled;
    if (due.length < scan.batchSize || handled === 0) return done;
  }
}
