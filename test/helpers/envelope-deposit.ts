import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { runCommand, type CommandResult } from '../../src/ledger/commands/run-command.js';
import { decideDeposit } from '../../src/ledger/decide/decide-movement.js';
import { persistDecision } from '../../src/ledger/commands/movement-input.js';
import type { Database } from '../../src/ledger/persistence/database.js';

/**
 * A customer's cash deposit through the real command envelope, with `afterWrite` run inside its
 * transaction once everything (outbox row included) is written: to fail or tamper before commit.
 */
export function depositThroughEnvelope(
  orm: MikroORM,
  userId: string,
  accountId: string,
  amount: string,
  afterWrite: (database: Database) => Promise<void>,
): Promise<CommandResult> {
  const actor = { userId, role: 'CUSTOMER' as const };
  const idempotencyKey = randomUUID();
  return runCommand(orm, {
    name: 'deposit',
    actor,
    idempotencyKey,
    request: { accountId, amount },
    validate: () => undefined,
    lockAccountIds: [accountId],
    async execute(database, accounts) {
      const written = await persistDecision(database, actor, decideDeposit({ amount, channel: 'CASH' }, accounts.get(accountId)), accounts, idempotencyKey, {});
      await afterWrite(database);
      return written;
    },
  });
}
