import { useCallback, useEffect, useRef, useState } from 'react';
import type { TransactionFilter } from '../generated/graphql';
import { NO_ANSWER } from '../failures';
import { DISPUTE_STATUS, mayDispute } from '../dispute-words';
import { formatMoney, formatSignedMoney, fractionDigitsOf } from '../money';
import type { Account } from './AccountsPage';
import { HistoryFilters } from './HistoryFilters';
import { LineDetails } from './LineDetails';
import { lineKey, useHistoryPages } from './use-history';
import { useDisputes } from './use-disputes';

const KIND_NAMES: Record<string, string> = {
  DEPOSIT: 'Deposit',
  WITHDRAWAL: 'Withdrawal',
  TRANSFER: 'Transfer',
  HOLD: 'Card hold',
  HOLD_CAPTURE: 'Card payment',
  REVERSAL: 'Reversal',
  FEE: 'Fee',
  ADJUSTMENT: 'Adjustment',
};
const DATE = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
/** Start reading older lines this far before the end of the list scrolls into view. */
const READ_AHEAD = '0px 0px 400px 0px';

/** Reads the next page whenever the end of the list comes near the viewport (infinite scroll). */
function useEndOfList(onNear: () => void, active: boolean) {
  const end = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = end.current;
    if (!element || !active) return;
    // A new observer after each read reports at once whether the end is still in view, so a
    // page that does not fill the screen is followed by the next one.
    const observer = new IntersectionObserver((entries) => entries.some((entry) => entry.isIntersecting) && onNear(), { rootMargin: READ_AHEAD });
    observer.observe(element);
    return () => observer.disconnect();
  }, [onNear, active]);
  return end;
}

/**
 * An account's history, newest first, with filters: older lines are read as the customer scrolls
 * (the API's cursor connection), with a button for the same where scrolling is not how one moves.
 * The newest page is read again whenever the balance's version moves, so a new line appears with
 * its balance. A line opens to its details (entries, availability schedule, dispute); a hold or
 * an availability delay reads Pending, a disputed debit its dispute's status.
 */
export function History({ account }: { account: Account }) {
  // A filter belongs to the account it was set on: another account opens unfiltered, on its first render.
  const [filtered, setFiltered] = useState<{ readonly accountId: string; readonly filter: TransactionFilter | undefined }>();
  const filter = filtered?.accountId === account.id ? filtered.filter : undefined;
  const applyFilter = useCallback((next: TransactionFilter | undefined) => setFiltered({ accountId: account.id, filter: next }), [account.id]);
  const history = useHistoryPages(account.id, account.balance.version, filter);
  const disputes = useDisputes(account.balance.version);
  // The line whose details are open (transaction id and version: a hold and its release are two lines).
  const [open, setOpen] = useState<string>();
  const end = useEndOfList(history.loadMore, history.hasMore && !history.loadingMore && !history.loading);

  return (
    <section className="card" aria-labelledby="history-title">
      <h2 id="history-title">History</h2>
      <HistoryFilters key={account.id} currency={account.currency} digits={fractionDigitsOf(account.balance.posted)} onApply={applyFilter} />
      {history.failed && <p role="alert" className="problem">{NO_ANSWER}</p>}
      {history.lines.length === 0 && !history.loading && !history.failed && <p>{filter ? 'No lines match these filters.' : 'No transactions yet.'}</p>}
      <ol className="history" aria-label={filter ? 'Lines matching the filters' : 'Lines, newest first'}>
        {history.lines.map((line) => {
          const key = lineKey(line);
          const dispute = disputes.of(line.transaction.id);
          return (
            <li key={key}>
              <button type="button" className="line" aria-expanded={open === key} onClick={() => setOpen(open === key ? undefined : key)}>
                <span className="line-what">
                  {disputes.moneyOf(line.transaction.id) ?? line.transaction.description ?? KIND_NAMES[line.transaction.kind] ?? line.transaction.kind}
                  {line.layer === 'PENDING' && <span className="badge">Pending</span>}
                  {line.layer === 'POSTED' && line.transaction.availability.some((part) => !part.released) && <span className="badge">Part on hold</span>}
                  {dispute && line.amount.startsWith('-') && <span className="badge">{DISPUTE_STATUS[dispute.status].badge}</span>}
                  <span className="muted small">{DATE.format(new Date(line.transaction.createdAt))}</span>
                </span>
                <span className={`amount${line.amount.startsWith('-') ? '' : ' credit'}`}>{formatSignedMoney(line.amount, account.currency)}</span>
                <span className="muted small line-after">Balance {formatMoney(line.balanceAfter, account.currency)}</span>
              </button>
              {open === key && (
                <LineDetails transactionId={line.transaction.id} accountId={account.id} currency={account.currency} dispute={dispute} disputable={mayDispute(line)} onDisputeChanged={disputes.changed} />
              )}
            </li>
          );
        })}
      </ol>
      <div ref={end} className="list-end" role="status" aria-live="polite">
        {history.loading || history.loadingMore ? 'Loading…' : !history.hasMore && history.lines.length > 0 ? (filter ? 'That is every matching line.' : 'That is the whole history.') : ''}
      </div>
      {history.hasMore && (
        <button type="button" className="secondary" disabled={history.loadingMore} onClick={history.loadMore}>
          Show older lines
        </button>
      )}
    </section>
  );
}
