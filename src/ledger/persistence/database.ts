/**
 * The ledger's door to the generic SQL helpers and id spelling, which live with the database
 * (db/sql.ts, db/ids.ts); the ledger's files import them from here.
 */
export { toBigInt, queryRows, queryStatement, runStatement, type Database } from '../../db/sql.js';
export { isId, canonicalId } from '../../db/ids.js';
export { arrayLiteral } from '../../db/sql-literal.js';
