import { useState } from 'react';
import { useQuery } from 'urql';
import { ConsoleDisputesDocument } from '../generated/graphql';
import { formatMoney } from '../money';
import { ActionResult, type Done } from './ActionResult';
import { describeRequestError } from './console-failures';
import { DisputeDetail } from './DisputeDetail';
import { disputeStatusWords, formatTime, words } from './format';
import { RefreshButton } from './RefreshButton';
import { SectionHeading } from './SectionHeading';

/** Disputes one page shows; the API orders them by the bank's next deadline, overdue first. */
const PAGE_SIZE = 50;

/** Every dispute, nearest deadline first; one opens to its history and the steps it allows. */
export function Disputes({ onOpenAccount }: { onOpenAccount: (accountId: string) => void }) {
  const [{ data, error, fetching }, reload] = useQuery({ query: ConsoleDisputesDocument, variables: { first: PAGE_SIZE }, requestPolicy: 'network-only' });
  const [openId, setOpenId] = useState<string>();
  const [last, setLast] = useState<Done>();
  const disputes = data?.disputes.edges.map((edge) => edge.node) ?? [];
  return (
    <section aria-labelledby="section-title" className="console-section">
      <SectionHeading>Disputes</SectionHeading>
      <p className="hint">Nearest deadline first: overdue disputes lead, resolved ones come last.</p>
      <RefreshButton fetching={fetching} onClick={() => reload({ requestPolicy: 'network-only' })} />
      <ActionResult done={last} />
      {fetching && !data && <p role="status">Loading disputes…</p>}
      {error && !data && <p role="alert" className="problem">{describeRequestError(error)}</p>}
      {data && disputes.length === 0 && <p>No dispute has been opened.</p>}
      <div className="master-detail">
        <ul className="console-list" aria-label="Disputes by deadline">
          {disputes.map((dispute) => (
            <li key={dispute.id}>
              <button type="button" className={`row-button${dispute.id === openId ? ' selected' : ''}`} aria-pressed={dispute.id === openId} onClick={() => setOpenId(dispute.id === openId ? undefined : dispute.id)} data-dispute-id={dispute.id}>
                <span className="row-main">
                  <span>
                    <span className="amount">{formatMoney(dispute.amount, dispute.currency)}</span>: {words(dispute.reason).toLowerCase()}
                  </span>
                  {dispute.overdue && <span className="badge">Overdue</span>}
                </span>
                <span className="muted small">
                  {words(disputeStatusWords(dispute.status))}
                  {dispute.nextDeadline ? ` · next deadline ${formatTime(dispute.nextDeadline)}` : ''}
                </span>
              </button>
            </li>
          ))}
        </ul>
        {openId && (
          <DisputeDetail
            key={openId}
            disputeId={openId}
            onOpenAccount={onOpenAccount}
            onDone={(result) => {
              setLast(result);
              reload({ requestPolicy: 'network-only' });
            }}
          />
        )}
      </div>
    </section>
  );
}
