import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { runCommand } from '../../src/ledger/commands/run-command.js';
import type { CommandResult, MovementOutcome } from '../../src/ledger/commands/command.js';
import { depositCommand } from '../../src/ledger/commands/deposit.js';
import type { Database } from '../../src/ledger/persistence/database.js';
import { flushPendingWrites } from '../../src/db/pending-writes.js';

/**
 * A cash deposit by the cash service `serviceUserId` (channel CASH) through the real command
 * envelope, with `afterWrite` run inside its transaction once everything (outbox row included) is
 * written: to fail or tamper before commit.
 */
export function depositThroughEnvelope(
  orm: MikroORM,
  serviceUserId: string,
  accountId: string,
  amount: string,
  afterWrite: (database: Database) => Promise<void>,
): Promise<CommandResult<MovementOutcome>> {
  const actor = { userId: serviceUserId, role: 'SERVICE' as const, channels: ['CASH' as const] };
  const command = depositCommand(actor, { accountId, amount, channel: 'CASH', idempotencyKey: randomUUID() });
  return runCommand(orm, {
    ...command,
    async write(database, plan, context) {
      const written = await command.write(database, plan, context);
      // The unit holds its movements' rows back (movement-buffer.ts) until a statement of db/sql.ts
      // needs them; `afterWrite` may use the entity manager directly, so the rows go out first.
      await flushPendingWrites(database);
      await afterWrite(database);
      return written;
    },
  });
}
