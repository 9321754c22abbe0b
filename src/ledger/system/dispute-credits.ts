import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '../../logger.js';
import { disputeStepCommand } from '../commands/dispute-commands.js';
import type { Clock } from '../commands/run-command.js';
import type { Database } from '../persistence/database.js';
import type { DisputePolicy } from '../disputes/dispute-policy.js';
import { drainDue, PollingLoop, type DueScan } from './polling-loop.js';
import { runSystemCommands } from './run-system-commands.js';
import { SYSTEM_ACTOR, systemKey } from './system-actor.js';

/** Disputes credited per round, in one unit: bounds one transaction's work and lock time. */
const BATCH_SIZE = 50;
/** How often every process looks for disputes whose provisional credit is due. */
const POLL_INTERVAL_MS = 1_000;

/** Told which disputes a round changed, after its commit (the disputeUpdated push, the balance relay). */
export type DisputesChanged = (disputeIds: readonly string[]) => Promise<void>;

/** One provisional credit the system gave, for its audit line. */
export interface SystemDisputeCredit {
  readonly disputeId: string;
  readonly idempotencyKey: string;
}

/**
 * Writes the audit line of a credit inside the crediting unit, so the line and the money commit
 * together. A port: the ledger does not know the audit log (auth does), so src/app.ts gives it.
 */
export type AuditDisputeCredit = (database: Database, credit: SystemDisputeCredit) => Promise<void>;

/** What the scheduler is given from outside the ledger. */
export interface DisputeCreditPorts {
  readonly audit: AuditDisputeCredit;
  readonly changed?: DisputesChanged;
}

/**
 * Gives the provisional credit Regulation E requires (issue 9 §2) when its deadline arrives and the
 * dispute is still OPEN or INVESTIGATING. Runs in every server process, like the hold expiry. Each
 * round picks such disputes with provisional_credit_by ≤ now `FOR UPDATE SKIP LOCKED`, then credits
 * them as the system actor under `provisional-credit:<disputeId>` in one unit, where each dispute
 * is locked again and decided against: an operator's credit or resolution that got there first
 * leaves it in a status the step refuses (VALIDATION: nothing stored, nothing moved), and two
 * processes that picked the same dispute meet on its key, so the second replays the first. Each
 * credit is audited in its unit, through the audit port it is given. A crash before commit leaves nothing; after it, the dispute is no
 * longer due. Tests give it a clock; in service it is the database's.
 */
export class DisputeCredits {
  private readonly loop: PollingLoop;

  constructor(
    private readonly orm: MikroORM,
    private readonly logger: Logger,
    private readonly policy: DisputePolicy,
    private readonly ports: DisputeCreditPorts,
    intervalMs = POLL_INTERVAL_MS,
    private readonly clock?: Clock,
  ) {
    this.loop = new PollingLoop(() => this.round(), intervalMs, logger, 'dispute credit round failed; retrying');
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One round: credits up to BATCH_SIZE due disputes at a time, going on at once while there were that many. Returns how many it credited. */
  round(): Promise<number> {
    const scan: DueScan = {
      select: `select id from disputes where status in ('OPEN', 'INVESTIGATING') and provisional_credit_by <= coalesce(?::timestamptz, now()) order by provisional_credit_by, id`,
      batchSize: BATCH_SIZE,
      clock: this.clock,
      stopped: () => this.loop.stopped,
    };
    // A full batch of which nothing was credited (refused under their keys: a closed account) ends the round.
    return drainDue<{ id: string }>(this.orm, scan, (due) => this.credit(due));
  }

  /** Credits one claimed batch in one unit, audits each credit in it, announces them after commit; returns how many were credited now. */
  private async credit(due: readonly { id: string }[]): Promise<number> {
    const commands = due.map(({ id }) =>
      disputeStepCommand('CREDIT_PROVISIONALLY', SYSTEM_ACTOR, { disputeId: id, note: 'Provisional credit deadline reached', idempotencyKey: systemKey('provisional-credit', id) }, this.policy),
    );
    const results = await runSystemCommands(this.orm, commands, {
      ...(this.clock ? { clock: this.clock } : {}),
      withinUnit: async (database, unitResults) => {
        for (const [index, result] of unitResults.entries()) {
          if (!result.outcome.ok || result.replayed) continue;
          await this.ports.audit(database, { disputeId: due[index]!.id, idempotencyKey: commands[index]!.idempotencyKey });
        }
      },
    });
    const changed = due.filter((_dispute, index) => results[index]?.outcome.ok && !results[index]?.replayed).map(({ id }) => id);
    if (changed.length > 0 && this.ports.changed) await this.ports.changed(changed).catch((error: unknown) => this.logger.warn({ err: error }, 'announcing dispute credits failed'));
    return changed.length;
  }
}
