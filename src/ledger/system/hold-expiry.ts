import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '../../logger.js';
import { expireHoldCommand, releaseAvailabilityCommand } from '../commands/change-hold.js';
import { expireReviewCommand } from '../commands/decide-review.js';
import type { Clock } from '../commands/run-command.js';
import { drainDue, PollingLoop, type DueScan } from './polling-loop.js';
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
 *
 * The same loop releases availability holds (issue 8 §4) at their `release_at`, as the system actor
 * under `release:<holdId>`: a return that got there first leaves the hold not ACTIVE, and two
 * processes meet on the key. Tests give it a clock (the commands decide with it, and the scan
 * compares with it); in service it is the database's.
 *
 * And it declines risk reviews nobody decided by their `due_at` (REVIEW_TIMEOUT), as the system
 * actor under `review-timeout:<reviewId>`: an operator's approval or decline that got there first
 * leaves the review decided (VALIDATION, nothing stored), so exactly one outcome happens.
 */
export class HoldExpiry {
  private readonly loop: PollingLoop;

  constructor(
    private readonly orm: MikroORM,
    logger: Logger,
    intervalMs = POLL_INTERVAL_MS,
    private readonly clock?: Clock,
  ) {
    this.loop = new PollingLoop(() => this.round(), intervalMs, logger, 'hold expiry round failed; retrying');
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One round: expires, then releases, up to BATCH_SIZE holds at a time, going on at once while there were that many. Returns how many. */
  async round(): Promise<number> {
    const expired = await this.drain('expires_at', (holdId) => expireHoldCommand(holdId));
    const released = await this.drain('release_at', (holdId) => releaseAvailabilityCommand(holdId));
    return expired + released + (await this.drainReviews());
  }

  /** Pending reviews past their due time, BATCH_SIZE at a time, each declined in the system's unit. */
  private drainReviews(): Promise<number> {
    return drainDue<{ id: string; account_id: string; counterparty_account_id: string | null; hold_id: string | null }>(
      this.orm,
      this.scan(`select id, account_id, counterparty_account_id, hold_id from reviews where status = 'PENDING' and due_at <= coalesce(?::timestamptz, now()) order by due_at, id`),
      async (due) => {
        const commands = due.map((review) =>
          expireReviewCommand(review.id, { accountIds: [review.account_id, ...(review.counterparty_account_id ? [review.counterparty_account_id] : [])], holdId: review.hold_id }),
        );
        await runSystemCommands(this.orm, commands, this.options());
        return due.length;
      },
    );
  }

  private drain(dueColumn: 'expires_at' | 'release_at', commandFor: (holdId: string) => ReturnType<typeof expireHoldCommand>): Promise<number> {
    // Each partial index (holds_expiring, holds_releasing) serves its own scan.
    return drainDue<{ id: string }>(
      this.orm,
      this.scan(`select id from holds where status = 'ACTIVE' and ${dueColumn} <= coalesce(?::timestamptz, now()) order by ${dueColumn}, id`),
      async (due) => {
        await runSystemCommands(this.orm, due.map((hold) => commandFor(hold.id)), this.options());
        return due.length;
      },
    );
  }

  private scan(select: string): DueScan {
    return { select, batchSize: BATCH_SIZE, clock: this.clock, stopped: () => this.loop.stopped };
  }

  private options(): { clock?: Clock } {
    return this.clock ? { clock: this.clock } : {};
  }
}
