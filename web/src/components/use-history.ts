import { useCallback, useEffect, useRef, useState } from 'react';
import { useClient } from 'urql';
import { AccountHistoryDocument, type AccountHistoryQuery, type TransactionFilter } from '../generated/graphql';

export type Line = NonNullable<AccountHistoryQuery['account']>['transactions']['edges'][number]['node'];

/** Lines per read: more than a screen, so the first read never leaves the end of the list in view. */
export const PAGE = 20;

/** A hold and its release are two lines of one transaction: a line is its transaction at a version. */
export const lineKey = (line: Line) => `${line.transaction.id}-${line.version}`;

export interface HistoryPages {
  readonly lines: readonly Line[];
  /** More (older) lines can be read. */
  readonly hasMore: boolean;
  /** The first read of this account and filter is under way. */
  readonly loading: boolean;
  readonly loadingMore: boolean;
  readonly failed: boolean;
  readonly loadMore: () => void;
}

/**
 * An account's history read a page at a time (the API's cursor connection), newest first, with a
 * filter. When the balance's version moves, the newest page is read again and merged in: new lines
 * go on top and the older pages already read stay (a customer scrolled far down keeps their place);
 * more than a page of new lines replaces the list. A read for an account or filter no longer shown
 * is dropped, so one customer's screen never shows another view's lines.
 */
export function useHistoryPages(accountId: string, version: number, filter: TransactionFilter | undefined): HistoryPages {
  const client = useClient();
  const [lines, setLines] = useState<readonly Line[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [failed, setFailed] = useState(false);
  const view = useRef(0);
  const readingMore = useRef(false);
  const shownLines = useRef(lines);
  shownLines.current = lines;

  const read = useCallback(
    (after: string | null) => client.query(AccountHistoryDocument, { accountId, first: PAGE, after, ...(filter ? { filter } : {}) }, { requestPolicy: 'network-only' }).toPromise(),
    [client, accountId, filter],
  );

  // A new account or filter: a new view, read from the newest line.
  useEffect(() => {
    const current = ++view.current;
    readingMore.current = false;
    setLines([]);
    setNext(null);
    setLoading(true);
    setLoadingMore(false);
    void read(null).then((result) => {
      if (current !== view.current) return;
      setLoading(false);
      const page = result.data?.account?.transactions;
      setFailed(!page);
      if (!page) return;
      setLines(page.edges.map((edge) => edge.node));
      setNext(page.pageInfo.hasNextPage ? (page.pageInfo.endCursor ?? null) : null);
    });
  }, [read]);

  // The balance moved: read the newest page again and put what is new on top.
  // (Another account has its own version: its first read is the view's, above.)
  const seen = useRef({ accountId, version });
  useEffect(() => {
    const moved = seen.current.accountId === accountId && seen.current.version !== version;
    seen.current = { accountId, version };
    if (!moved) return;
    const current = view.current;
    void read(null).then((result) => {
      const page = result.data?.account?.transactions;
      if (current !== view.current || !page) return;
      const fresh = page.edges.map((edge) => edge.node);
      const shown = shownLines.current;
      const freshKeys = new Set(fresh.map(lineKey));
      if (shown.length <= fresh.length || !shown.some((line) => freshKeys.has(lineKey(line)))) {
        setLines(fresh);
        setNext(page.pageInfo.hasNextPage ? (page.pageInfo.endCursor ?? null) : null);
        return;
      }
      // The older pages read already stay, and so does the cursor after the oldest of them.
      setLines([...fresh, ...shown.filter((line) => !freshKeys.has(lineKey(line)))]);
    });
  }, [read, accountId, version]);

  const loadMore = useCallback(() => {
    if (!next || readingMore.current) return;
    readingMore.current = true;
    const current = view.current;
    setLoadingMore(true);
    void read(next).then((result) => {
      if (current !== view.current) return;
      readingMore.current = false;
      setLoadingMore(false);
      const page = result.data?.account?.transactions;
      setFailed(!page);
      if (!page) return;
      setLines((shown) => {
        const known = new Set(shown.map(lineKey));
        return [...shown, ...page.edges.map((edge) => edge.node).filter((line) => !known.has(lineKey(line)))];
      });
      setNext(page.pageInfo.hasNextPage ? (page.pageInfo.endCursor ?? null) : null);
    });
  }, [read, next]);

  return { lines, hasMore: next !== null, loading, loadingMore, failed, loadMore };
}
