import { Migration20261125000000_ledger } from './Migration20261125000000_ledger.js';
import { Migration20261125010000_security } from './Migration20261125010000_security.js';

/** Every migration, in order. Listed explicitly so they run the same under tsx, vitest and node. */
export const migrationsList = [
  { name: 'Migration20261125000000_ledger', class: Migration20261125000000_ledger },
  { name: 'Migration20261125010000_security', class: Migration20261125010000_security },
];
