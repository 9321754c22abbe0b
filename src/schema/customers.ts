import { resolveCustomers } from '../resolvers/customers.js';
import { CUSTOMER_SEARCH_MAX_LENGTH, CUSTOMER_SEARCH_MIN_LENGTH, DEFAULT_CUSTOMERS_LISTED, MAX_CUSTOMERS_LISTED } from '../ledger/queries/customer-search.js';
import { builder } from './builder.js';
import { listBound } from './list-bounds.js';
import { UserType } from './user.js';

builder.queryField('customers', (t) =>
  t.field({
    type: [UserType],
    // Sized by its own `first` (the cost model writes in the default 20 when absent), at most MAX_CUSTOMERS_LISTED.
    extensions: listBound('page'),
    description:
      'Operators only (FORBIDDEN for customers and services, before anything is read), audited (one line per customer returned): ' +
      'the customers whose username starts with `search`, whose e-mail is `search` (both case-insensitive), or who own the account numbered `search`; by username. ' +
      'Their `accounts` are then theirs, each audited as an operator read. A search of the wrong length, or a `first` out of range, is a VALIDATION error.',
    args: {
      search: t.arg.string({
        required: true,
        description: `A username prefix, an e-mail address or an 11-digit account number (spaces and dashes allowed), ${CUSTOMER_SEARCH_MIN_LENGTH} to ${CUSTOMER_SEARCH_MAX_LENGTH} characters after trimming.`,
      }),
      first: t.arg.int({ defaultValue: DEFAULT_CUSTOMERS_LISTED, description: `At most this many customers, 1 to ${MAX_CUSTOMERS_LISTED}; default ${DEFAULT_CUSTOMERS_LISTED}.` }),
    },
    resolve: (_root, { search, first }, context) => resolveCustomers(context, search, first ?? null),
  }),
);
