import type { MikroORM } from '@mikro-orm/postgresql';
import type { AnyCommand, CommandResult, OutcomeOf } from '../commands/command.js';
import { runCommands, type UnitOptions } from '../commands/run-command.js';
import { SYSTEM_USER_ID } from './system-actor.js';

const SYSTEM_KEY = /^[a-z][a-z_-]{0,31}:[^:]+$/;

/**
 * The scheduler's entry point into the ledger: commands built for SYSTEM_ACTOR, each under a
 * deterministic key from `systemKey`, run in one unit like any other (claim, locks, clock, outcome
 * records, one commit). A crash before commit leaves nothing; after commit, the retry with the
 * same keys replays. Anything else is a programming error, refused before the unit opens.
 */
export async function runSystemCommands<const Commands extends readonly AnyCommand[]>(
  orm: MikroORM,
  commands: Commands,
  options?: UnitOptions,
): Promise<{ -readonly [Index in keyof Commands]: CommandResult<OutcomeOf<Commands[Index]>> }> {
  for (const command of commands) {
    if (command.actor.userId !== SYSTEM_USER_ID) throw new Error(`system command ${command.name} is not the system actor's`);
    if (!SYSTEM_KEY.test(command.idempotencyKey)) throw new Error(`system command ${command.name} has no deterministic key (systemKey)`);
  }
  return runCommands(orm, commands, options);
}
