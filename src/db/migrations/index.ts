import { Migration20261125000000_ledger } from './Migration20261125000000_ledger.js';

/** Every migration, in order. Listed explicitly so they run the same under tsx, vitest and node. */
export const migrationsList = [{ name: 'Migration20261125000000_ledger', class: Migration20261125000000_ledger }];
