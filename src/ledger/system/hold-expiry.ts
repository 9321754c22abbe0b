import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '../../logger.js';
import { expireHoldCommand } from '../commands/change-hold.js';
import { queryRows } from '../persistence/database.js';
import { runSystemCommands } from './run-system-commands.js';

/** Holds expired per round, in one unit: bounds one transaction's work and lock time. */
const BATCH_SIZE = 50;
/** How often every process looks for holds past their expiry. */
const POLL_INTERVAL_MS = 1_000;

/**
 * Releases holds past their expiry (issue 8 §3). Runs in every server process, like the outbox
 * relay. Each round picks ACTIVE holds with expires_at ≤ now, `FOR UPDATE SKIP LOCKED` so it passes
 * over holds another process (or a capture) is working on right now, then expires them as the
 * system actor under `expire:<holdId>` in one unit, where each hold is locked again FOR UPDATE and
 * decided against: a capture or void that got there first leaves it not ACTIVE (HOLD_NOT_ACTIVE,
 * recorded under the key), and two processes that picked the same hold meet on its key, so the
 * second replays the first. Exactly one of capture, void and expiry happens to each hold.
 */
export class HoldExpiry {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly orm: MikroORM,
    private readonly logger: Logger,
    private readonly intervalMs = POLL_INTERVAL_MS,
  ) {}

  start(): void {
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped || this.running) return;
    this.timer = setTimeout(() => {
      this.running = this.round()
        .then(() => undefined)
        .catch((error: unknown) => this.logger.warn({ err: error }, 'hold expiry round failed; retrying'))
        .finally(() => {
          this.running = undefined;
          this.schedule(this.intervalMs);
        });
    }, delayMs);
  }

  /** One round: expires up to BATCH_SIZE holds, then goes on at once while there were that many. */
  async round(): Promise<number> {
    let expired = 0;
    for (;;) {
      const due = await this.orm.em.fork().transactional((database) =>
        queryRows<{ id: string }>(
          database,
          `select id from holds where status = 'ACTIVE' and expires_at <= now() order by expires_at, id limit ${BATCH_SIZE} for update skip locked`,
        ),
      );
      if (due.length === 0 || this.stopped) return expired;
      await runSystemCommands(this.orm, due.map((hold) => expireHoldCommand(hold.id)));
      expired += due.length;
      if (due.length < BATCH_SIZE) return expired;
    }
  }
}
