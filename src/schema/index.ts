// Imports only: each file registers its types and root fields on the builder.
import { builder } from './builder.js';
import './scalars.js';
import './errors.js';
import './enums.js';
import './balance.js';
import './transaction.js';
import './history.js';
import './account.js';
import './user.js';
import './money-movement.js';
import './auth.js';
import './balance-update.js';
import './payee.js';

export const schema = builder.toSchema({ sortSchema: false });
