import { BLOCK_SIZE } from './chain-hash.js';

/** The sealer's defaults, apart from it so src/config.ts reads them without loading the sealer. */

/**
 * Records sealed per transaction by default (JOURNAL_SEAL_BATCH): five blocks. At the bench's few
 * hundred movements a second a round seals well under one batch; a bigger batch only helps a
 * backlog (after a stop), and costs memory: each record's payload is in the sealer's hands at once.
 */
export const DEFAULT_SEAL_BATCH = 5 * BLOCK_SIZE;
/**
 * How often a process looks for committed, unsealed records by default (JOURNAL_SEAL_INTERVAL_MS).
 * A round is six round trips and a commit whatever it seals, so rarer rounds seal more per
 * commit; a second is also what the sealer's lag stays under when it keeps up.
 */
export const DEFAULT_SEAL_INTERVAL_MS = 1_000;
