import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../ledger/limits.js';
import type { HoldEdge, HoldPage } from '../ledger/queries/hold-pages.js';
import { resolveHoldsOfAccount } from '../resolvers/holds.js';
import { builder } from './builder.js';
import { HoldStatusEnum, HoldType } from './hold.js';
import { listBound } from './list-bounds.js';
import { PageInfoType } from './page-info.js';

const HoldEdgeType = builder.objectRef<HoldEdge>('HoldEdge').implement({
  description: 'A hold with its cursor.',
  fields: (t) => ({
    cursor: t.exposeString('cursor', { description: 'Opaque; pass it as `after` for the holds placed before this one. Stable while new holds arrive and holds change status.' }),
    node: t.field({ type: HoldType, description: 'The hold.', resolve: (edge) => edge.hold }),
  }),
});

const HoldConnectionType = builder.objectRef<HoldPage>('HoldConnection').implement({
  description: `An account's holds, newest first; at most ${MAX_PAGE_SIZE} a page (default ${DEFAULT_PAGE_SIZE}).`,
  fields: (t) => ({
    edges: t.field({
      type: [HoldEdgeType],
      // As many as the page size (`first`) of the `holds` field that returned this connection.
      extensions: listBound('page'),
      description: 'The holds of this page, newest first.',
      resolve: (page) => page.lines,
    }),
    pageInfo: t.field({ type: PageInfoType, description: 'Where this page sits.', resolve: (page) => page }),
  }),
});

builder.queryField('holds', (t) =>
  t.field({
    type: HoldConnectionType,
    description:
      'The holds of one of your accounts (operators: of any customer account, audited), newest first, a page at a time. ' +
      'NOT_FOUND when the account is not yours; VALIDATION for a cursor this connection did not give or a page size out of range.',
    args: {
      accountId: t.arg.id({ required: true, description: 'The account\'s id.' }),
      status: t.arg({ type: [HoldStatusEnum], required: false, description: 'Only holds in these statuses (an empty list matches none); all when absent.' }),
      first: t.arg.int({ description: `Holds from the newest (or after \`after\`), 0 to ${MAX_PAGE_SIZE}; default ${DEFAULT_PAGE_SIZE}.` }),
      after: t.arg.string({ description: 'A cursor from an earlier page: continue with the holds placed before it.' }),
    },
    resolve: (_root, { accountId, status, first, after }, context) =>
      resolveHoldsOfAccount(context, String(accountId), { first: first ?? null, after: after ?? null, statuses: status ?? null }),
  }),
);
