import { useMutation, useQuery, useSubscription } from 'urql';
import {
  ConsoleCreditProvisionallyDocument,
  ConsoleDisputeDocument,
  ConsoleDisputeUpdatedDocument,
  ConsoleNoticeReversalDocument,
  ConsoleResolveDisputeDocument,
  ConsoleStartInvestigationDocument,
  type ConsoleDisputeChangeFragment,
  type ConsoleDisputeFragment,
} from '../generated/graphql';
import { formatMoney } from '../money';
import { done, type Done } from './ActionResult';
import { ConfirmAction, settle, type Outcome } from './ConfirmAction';
import { describeRequestError } from './console-failures';
import { channelWords, disputeStatusWords, disputeStepWords, formatTime, shortId, words } from './format';

type Answer = ({ __typename: 'DisputeChange' } & ConsoleDisputeChangeFragment) | { __typename: string; code?: string; message?: string };

/** A dispute step's answer: the new status in words, and the ledger transaction of a money step. */
function stepOutcome(answer: Answer | undefined, error: Parameters<typeof settle>[1], said: string, noMoney = 'No money moved.'): Outcome {
  return settle(answer, error, (result) => {
    if (result.__typename !== 'DisputeChange' || !('dispute' in result)) return undefined;
    const moved = result.transaction ? '' : ` ${noMoney}`;
    return done(`${said} The dispute is now ${disputeStatusWords(result.dispute.status)}.${moved}`, result.transaction, result.replayed);
  });
}

/** Of two reads of a dispute, the one with more steps (a step is never undone); the first read on a tie. */
function newer(a: ConsoleDisputeFragment | undefined, b: ConsoleDisputeFragment | null | undefined): ConsoleDisputeFragment | undefined {
  if (!a) return b ?? undefined;
  if (!b) return a;
  return a.events.length > b.events.length ? a : b;
}

/** One dispute: what is disputed, its deadlines, every step so far, and the steps its status allows. */
export function DisputeDetail({ disputeId, onOpenAccount, onDone }: { disputeId: string; onOpenAccount: (accountId: string) => void; onDone: (done: Done) => void }) {
  const [{ data, error, fetching }, reload] = useQuery({ query: ConsoleDisputeDocument, variables: { id: disputeId }, requestPolicy: 'network-only' });
  // Live: another operator's step or the system's credit at its deadline shows without a reload.
  const [{ data: live }] = useSubscription({ query: ConsoleDisputeUpdatedDocument, variables: { disputeId } });
  const dispute = newer(live?.disputeUpdated, data?.dispute);
  const finished = (result: Done) => {
    onDone(result);
    reload({ requestPolicy: 'network-only' });
  };
  if (fetching && !data) return <p role="status">Loading the dispute…</p>;
  if (!dispute) return <p role="alert" className="problem">{error ? describeRequestError(error) : 'This dispute was not found.'}</p>;
  const amount = formatMoney(dispute.amount, dispute.currency);
  return (
    <article className="card dispute" aria-labelledby="dispute-title" data-testid="dispute-detail">
      <h3 id="dispute-title">
        Dispute of {amount}: {disputeStatusWords(dispute.status)}
      </h3>
      <dl className="facts">
        <dt>Reason</dt>
        <dd>
          {words(dispute.reason)}
          {dispute.description ? `: “${dispute.description}”` : ''}
        </dd>
        <dt>Disputed debit</dt>
        <dd>
          {words(dispute.transaction.kind)} by {channelWords(dispute.transaction.channel)}, {formatMoney(dispute.transaction.amount, dispute.currency)}, {formatTime(dispute.transaction.createdAt)}
        </dd>
        <dt>Account</dt>
        <dd>
          <button type="button" className="inline-link" onClick={() => onOpenAccount(dispute.accountId)}>
            Open account <code className="id" title={dispute.accountId}>{shortId(dispute.accountId)}</code>
          </button>
        </dd>
        <dt>Provisional credit by</dt>
        <dd>{formatTime(dispute.deadlines.provisionalCreditBy)}</dd>
        <dt>Resolution by</dt>
        <dd>{formatTime(dispute.deadlines.resolutionBy)}</dd>
        {dispute.deadlines.reversalNotBefore && (
          <>
            <dt>Credit reversible from</dt>
            <dd>{formatTime(dispute.deadlines.reversalNotBefore)}</dd>
          </>
        )}
        <dt>Credit</dt>
        <dd>{dispute.credit ? `${formatMoney(dispute.credit.amount, dispute.currency)} (${dispute.creditReversal ? 'taken back' : dispute.status === 'PROVISIONALLY_CREDITED' ? 'provisional' : 'final'})` : 'None yet'}</dd>
      </dl>
      <h4>History</h4>
      <ol className="events">
        {dispute.events.map((event) => (
          <li key={`${event.step}-${event.at}`}>
            <strong>{disputeStepWords(event.step)}</strong> by {event.actor}, {formatTime(event.at)}
            {event.transaction ? ` · ${words(event.transaction.kind)} of ${formatMoney(event.transaction.amount, dispute.currency)}` : ''}
            {event.note && <span className="muted"> · “{event.note}”</span>}
          </li>
        ))}
      </ol>
      <DisputeSteps dispute={dispute} amount={amount} onDone={finished} />
    </article>
  );
}

function DisputeSteps({ dispute, amount, onDone }: { dispute: ConsoleDisputeFragment; amount: string; onDone: (done: Done) => void }) {
  const [, start] = useMutation(ConsoleStartInvestigationDocument);
  const [, credit] = useMutation(ConsoleCreditProvisionallyDocument);
  const [, notice] = useMutation(ConsoleNoticeReversalDocument);
  const [, resolve] = useMutation(ConsoleResolveDisputeDocument);
  const status = dispute.status;
  const input = (idempotencyKey: string, note: string) => ({ disputeId: dispute.id, idempotencyKey, ...(note ? { note } : {}) });
  const note = { label: 'Note for the dispute’s history', required: false };
  const steps = [];
  if (status === 'OPEN') {
    steps.push(
      <ConfirmAction key="start" label="Start investigation" title="Start the investigation?" confirmLabel="Yes, start it" note={note} onDone={onDone}
        run={async (key, text) => { const result = await start({ input: input(key, text) }); return stepOutcome(result.data?.startInvestigation, result.error, 'Investigation started.'); }}>
        <p>The dispute moves to investigating. No money moves.</p>
      </ConfirmAction>,
    );
  }
  if (status === 'OPEN' || status === 'INVESTIGATING') {
    steps.push(
      <ConfirmAction key="credit" label="Credit provisionally" title={`Credit ${amount} provisionally?`} confirmLabel="Yes, credit the customer" note={note} onDone={onDone}
        run={async (key, text) => { const result = await credit({ input: input(key, text) }); return stepOutcome(result.data?.creditProvisionally, result.error, `Credited ${amount} provisionally.`); }}>
        <p>{amount} is credited to the customer’s account now (an adjustment from the bank’s disputes account) while the investigation goes on.</p>
      </ConfirmAction>,
    );
  }
  if (status === 'PROVISIONALLY_CREDITED' && !dispute.deadlines.reversalNotBefore) {
    steps.push(
      <ConfirmAction key="notice" label="Give notice of reversal" secondary title="Record the notice of reversal?" confirmLabel="Yes, the customer was told" note={note} onDone={onDone}
        run={async (key, text) => { const result = await notice({ input: input(key, text) }); return stepOutcome(result.data?.noticeReversal, result.error, 'Notice of reversal recorded.'); }}>
        <p>Records that the customer was told the provisional credit will be taken back. It can be reversed five business days later. No money moves now.</p>
      </ConfirmAction>,
    );
  }
  if (status === 'INVESTIGATING' || status === 'PROVISIONALLY_CREDITED') {
    const credited = status === 'PROVISIONALLY_CREDITED';
    steps.push(
      <ConfirmAction key="customer" label="Resolve for the customer" title="Resolve for the customer?" confirmLabel="Yes, resolve for the customer" note={{ label: 'Finding', required: false }} onDone={onDone}
        run={async (key, text) => { const result = await resolve({ input: { ...input(key, text), outcome: 'CUSTOMER' } }); return stepOutcome(result.data?.resolveDispute, result.error, 'Resolved for the customer.', 'The provisional credit is final: no money moved now.'); }}>
        <p>{credited ? `The provisional credit of ${amount} becomes final.` : `${amount} is credited to the customer now, for good.`}</p>
      </ConfirmAction>,
      <ConfirmAction key="bank" label="Resolve for the bank" secondary title="Resolve for the bank?" confirmLabel="Yes, resolve for the bank" note={{ label: 'Finding', required: false }} onDone={onDone}
        run={async (key, text) => { const result = await resolve({ input: { ...input(key, text), outcome: 'BANK' } }); return stepOutcome(result.data?.resolveDispute, result.error, 'Resolved for the bank.'); }}>
        <p>{credited ? `The provisional credit of ${amount} is taken back from the customer’s account (it needs the notice of reversal, five business days before).` : 'The debit stands; nothing is credited.'}</p>
      </ConfirmAction>,
    );
  }
  if (steps.length === 0) return <p className="muted">This dispute is closed: no step is left.</p>;
  return <div className="actions">{steps}</div>;
}
