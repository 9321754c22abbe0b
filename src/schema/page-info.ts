import { builder } from './builder.js';

/** What every connection's PageInfo is built from: its edges (each with a cursor) and where the page sits. */
export interface PageView {
  readonly lines: readonly { readonly cursor: string }[];
  readonly hasNextPage: boolean;
  readonly hasPreviousPage: boolean;
}

/** One PageInfo type for every connection (history, holds), as Relay has it. */
export const PageInfoType = builder.objectRef<PageView>('PageInfo').implement({
  description: 'Relay pagination state of a connection.',
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage', { description: 'More lines follow in the newest-to-oldest direction.' }),
    hasPreviousPage: t.exposeBoolean('hasPreviousPage', { description: 'More lines precede this page (newer ones).' }),
    startCursor: t.string({ nullable: true, description: 'Cursor of the first edge.', resolve: (page) => page.lines[0]?.cursor ?? null }),
    endCursor: t.string({ nullable: true, description: 'Cursor of the last edge.', resolve: (page) => page.lines.at(-1)?.cursor ?? null }),
  }),
});
