// Imports only: each file registers its types and root fields on the builder.
import { builder } from './builder.js';
import { assertEveryListBounded } from './list-bounds.js';
import './scalars.js';
import './errors.js';
import './enums.js';
import './balance.js';
import './transaction.js';
import './history.js';
import './account.js';
import './user.js';
import './customers.js';
import './money-movement.js';
import './reversal.js';
import './availability.js';
import './auth.js';
import './balance-update.js';
import './payee.js';
import './hold.js';
import './hold-connection.js';
import './review.js';
import './dispute.js';
import './dispute-mutations.js';
import './dispute-updated.js';
import './statement.js';
import './journal.js';
import './reconciliation.js';
import './batch.js';

// Refuses to build while a list field lacks a bound: the query cost model multiplies by them.
export const schema = assertEveryListBounded(builder.toSchema({ sortSchema: false }));
