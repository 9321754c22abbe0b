import { useCallback, useEffect, useRef, useState } from 'react';
import { useClient } from 'urql';
import { AccountHistoryDocument, type AccountHistoryQuery } from '../generated/graphql';
import { NO_ANSWER } from '../failures';
import { formatMoney, formatSignedMoney } from '../money';
import type { Account } from './AccountsPage';

type Line = NonNullable<AccountHistoryQuery['account']>['transactions']['edges'][number]['node'];

const PAGE = 10;
const KIND_NAMES: Record<string, string> = {
  DEPOSIT: 'Deposit',
  WITHDRAWAL: 'Withdrawal',
  TRANSFER: 'Transfer',
  HOLD_CAPTURE: 'Card payment',
  REVERSAL: 'Reversal',
  FEE: 'Fee',
  ADJUSTMENT: 'Adjustment',
};
const DATE = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/**
 * An account's history, newest first: the first page, then "Show more". The first page is read
 * again whenever the balance's version moves, so a new line appears with its balance.
 */
export function History({ account }: { account: Account }) {
  const client = useClient();
  const [lines, setLines] = useState<Line[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [problem, setProblem] = useState<string>();
  // Only the latest read may fill the list: an answer for the account shown before is dropped.
  const latestRead = useRef(0);

  const load = useCallback(
    async (after: string | null) => {
      const read = ++latestRead.current;
      setLoading(true);
      const result = await client.query(AccountHistoryDocument, { accountId: account.id, first: PAGE, after }, { requestPolicy: 'network-only' }).toPromise();
      if (read !== latestRead.current) return;
      setLoading(false);
      const page = result.data?.account?.transactions;
      if (!page) {
        setProblem(NO_ANSWER);
        return;
      }
      setProblem(undefined);
      const fresh = page.edges.map((edge) => edge.node);
      setLines((shown) => (after ? [...shown, ...fresh] : fresh));
      setNext(page.pageInfo.hasNextPage ? (page.pageInfo.endCursor ?? null) : null);
    },
    [client, account.id],
  );
  useEffect(() => {
    void load(null);
  }, [load, account.balance.version]);

  return (
    <section className="card" aria-labelledby="history-title">
      <h2 id="history-title">History</h2>
      {problem && <p role="alert" className="problem">{problem}</p>}
      {lines.length === 0 && !loading && !problem && <p>No transactions yet.</p>}
      <ol className="history">
        {lines.map((line) => (
          <li key={`${line.transaction.id}-${line.version}`}>
            <span className="line-what">
              {line.transaction.description ?? KIND_NAMES[line.transaction.kind] ?? line.transaction.kind}
              {line.layer === 'PENDING' && <span className="badge">Pending</span>}
              <span className="muted small">{DATE.format(new Date(line.transaction.createdAt))}</span>
            </span>
            <span className={`amount${line.amount.startsWith('-') ? '' : ' credit'}`}>{formatSignedMoney(line.amount, account.currency)}</span>
            <span className="muted small line-after">Balance {formatMoney(line.balanceAfter, account.currency)}</span>
          </li>
        ))}
      </ol>
      {next && (
        <button type="button" className="secondary" disabled={loading} onClick={() => void load(next)}>
          {loading ? 'Loading…' : 'Show more'}
        </button>
      )}
    </section>
  );
}
