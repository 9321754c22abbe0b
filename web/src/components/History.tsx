import { useCallback, useEffect, useRef, useState } from 'react';
import { useClient } from 'urql';
import { AccountHistoryDocument, type AccountHistoryQuery } from '../generated/graphql';
import { NO_ANSWER } from '../failures';
import { formatMoney, formatSignedMoney } from '../money';
import type { Account } from './AccountsPage';
import { LineDetails } from './LineDetails';

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
 * again whenever the balance's version moves, so a new line appears with its balance. A line opens
 * to its details (entries, availability schedule); a hold or an availability delay reads Pending.
 */
export function History({ account }: { account: Account }) {
  const client = useClient();
  const [lines, setLines] = useState<Line[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [problem, setProblem] = useState<string>();
  // The line whose details are open (transaction id and version: a hold and its release are two lines).
  const [open, setOpen] = useState<string>();
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
        {lines.map((line) => {
          const key = `${line.transaction.id}-${line.version}`;
          return (
            <li key={key}>
              <button type="button" className="line" aria-expanded={open === key} onClick={() => setOpen(open === key ? undefined : key)}>
                <span className="line-what">
                  {line.transaction.description ?? KIND_NAMES[line.transaction.kind] ?? line.transaction.kind}
                  {line.layer === 'PENDING' && <span className="badge">Pending</span>}
                  {line.layer === 'POSTED' && line.transaction.availability.some((part) => !part.released) && <span className="badge">Part on hold</span>}
                  <span className="muted small">{DATE.format(new Date(line.transaction.createdAt))}</span>
                </span>
                <span className={`amount${line.amount.startsWith('-') ? '' : ' credit'}`}>{formatSignedMoney(line.amount, account.currency)}</span>
                <span className="muted small line-after">Balance {formatMoney(line.balanceAfter, account.currency)}</span>
              </button>
              {open === key && <LineDetails transactionId={line.transaction.id} accountId={account.id} currency={account.currency} />}
            </li>
          );
        })}
      </ol>
      {next && (
        <button type="button" className="secondary" disabled={loading} onClick={() => void load(next)}>
          {loading ? 'Loading…' : 'Show more'}
        </button>
      )}
    </section>
  );
}
