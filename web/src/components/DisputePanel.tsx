import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useMutation, useSubscription } from 'urql';
import { DisputeUpdatedDocument, OpenDisputeDocument, WithdrawMyDisputeDocument, type DisputeReason, type DisputeStateFragment } from '../generated/graphql';
import { describeFailure, NO_ANSWER } from '../failures';
import { DISPUTE_REASONS, DISPUTE_STATUS, DISPUTE_STEP } from '../dispute-words';
import { formatMoney } from '../money';

const DAY = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const WHEN = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** What a refused dispute means to the customer (the API's VALIDATION covers every "cannot be disputed"). */
const DISPUTE_SENTENCES = {
  VALIDATION: 'This payment cannot be disputed here: it may be disputed already, too old (over 60 days), or of a kind we cannot dispute. Please call us.',
  NOT_FOUND: 'We could not find this payment. Reload the page and try again.',
  ACCOUNT_NOT_OPEN: 'This account is frozen or closed, so a dispute cannot be opened here. Please call us.',
  IDEMPOTENCY_CONFLICT: 'This dispute changed while it was being sent. Please check it and send it again.',
};

/** Withdrawing a dispute the bank has not credited yet, after a confirmation; one key per intent. */
function WithdrawDispute({ disputeId, onChanged }: { disputeId: string; onChanged: (dispute: DisputeStateFragment) => void }) {
  const [confirming, setConfirming] = useState(false);
  const [problem, setProblem] = useState<string>();
  const intentKey = useRef(crypto.randomUUID());
  const [{ fetching }, withdraw] = useMutation(WithdrawMyDisputeDocument);

  async function confirm() {
    if (fetching) return;
    const answer = (await withdraw({ input: { disputeId, idempotencyKey: intentKey.current } })).data?.withdrawDispute;
    if (!answer) return setProblem(`${NO_ANSWER} Trying again is safe.`);
    intentKey.current = crypto.randomUUID();
    if (answer.__typename === 'DisputeChange') return onChanged(answer.dispute);
    setProblem(describeFailure(answer, { ...DISPUTE_SENTENCES, VALIDATION: 'This dispute can no longer be withdrawn: the bank has credited or decided it.' }));
  }

  return (
    <div>
      {problem && <p className="problem">{problem}</p>}
      {!confirming ? (
        <button type="button" className="secondary" onClick={() => setConfirming(true)}>
          Withdraw this dispute
        </button>
      ) : (
        <div className="actions" role="group" aria-label="Withdraw this dispute?">
          <p className="confirm-question">Withdraw it? The payment then stands and the bank stops looking into it.</p>
          <button type="button" disabled={fetching} onClick={() => void confirm()}>
            {fetching ? 'Withdrawing…' : 'Yes, withdraw it'}
          </button>
          <button type="button" className="secondary" onClick={() => setConfirming(false)}>
            Keep the dispute
          </button>
        </div>
      )}
    </div>
  );
}

/** A dispute as it stands, kept current by `disputeUpdated`; each change is handed up so the line's badge follows. */
function DisputeState({ dispute, onChanged, justOpened }: { dispute: DisputeStateFragment; onChanged: (dispute: DisputeStateFragment) => void; justOpened: boolean }) {
  // The form the customer was in is gone: their focus goes to what replaced it.
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (justOpened) heading.current?.focus();
  }, [justOpened]);
  const [{ data }] = useSubscription({ query: DisputeUpdatedDocument, variables: { disputeId: dispute.id } });
  const live = data?.disputeUpdated;
  useEffect(() => {
    if (live) onChanged(live);
  }, [live, onChanged]);
  const shown = live && live.events.length >= dispute.events.length ? live : dispute;
  const words = DISPUTE_STATUS[shown.status];
  return (
    <div className="dispute" data-testid="dispute-state">
      <h3 ref={heading} tabIndex={-1}>
        Your dispute of {formatMoney(shown.amount, shown.currency)}
      </h3>
      <p role="status" aria-live="polite">
        <strong>{words.badge}.</strong> {words.sentence}
      </p>
      {shown.status !== 'RESOLVED_CUSTOMER' && shown.status !== 'RESOLVED_BANK' && shown.status !== 'WITHDRAWN' && (
        <p className="hint">
          {shown.status === 'PROVISIONALLY_CREDITED' ? '' : `If it is not settled by ${DAY.format(new Date(shown.deadlines.provisionalCreditBy))}, we credit you for now. `}
          We decide by {DAY.format(new Date(shown.deadlines.resolutionBy))} at the latest.
        </p>
      )}
      {(shown.status === 'OPEN' || shown.status === 'INVESTIGATING') && <WithdrawDispute disputeId={shown.id} onChanged={onChanged} />}
      <ol className="timeline" aria-label="What has happened">
        {shown.events.map((event) => (
          <li key={`${event.step}-${event.at}`}>
            {DISPUTE_STEP[event.step]} <span className="muted small">{WHEN.format(new Date(event.at))}</span>
          </li>
        ))}
      </ol>
    </div>
  );
}

/** The form that opens a dispute of one debit; one idempotency key per intent, as the payment forms do. */
function OpenDisputeForm({ transactionId, onOpened, onCancel }: { transactionId: string; onOpened: (dispute: DisputeStateFragment) => void; onCancel: () => void }) {
  const [reason, setReason] = useState<DisputeReason>('UNAUTHORIZED');
  const [description, setDescription] = useState('');
  const [problem, setProblem] = useState<string>();
  const intentKey = useRef(crypto.randomUUID());
  const sending = useRef(false);
  const [{ fetching }, open] = useMutation(OpenDisputeDocument);
  const changed = () => {
    intentKey.current = crypto.randomUUID();
    setProblem(undefined);
  };

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (sending.current) return;
    if (reason === 'OTHER' && !description.trim()) return setProblem('Please say what went wrong.');
    sending.current = true;
    const input = { transactionId, reason, idempotencyKey: intentKey.current, ...(description.trim() ? { description: description.trim() } : {}) };
    const result = await open({ input });
    sending.current = false;
    const answer = result.data?.openDispute;
    // No answer: the same key goes again on retry, so the dispute is opened once.
    if (!answer) return setProblem(`${NO_ANSWER} Sending again is safe: the dispute will not be opened twice.`);
    intentKey.current = crypto.randomUUID();
    if (answer.__typename === 'DisputeChange') onOpened(answer.dispute);
    else setProblem(describeFailure(answer, DISPUTE_SENTENCES));
  }

  return (
    <form className="dispute" onSubmit={(event) => void submit(event)} noValidate aria-label="Dispute this payment">
      <label htmlFor={`dispute-reason-${transactionId}`}>What is wrong with this payment?</label>
      <select id={`dispute-reason-${transactionId}`} autoFocus value={reason} onChange={(event) => (setReason(event.target.value as DisputeReason), changed())}>
        {DISPUTE_REASONS.map(([value, words]) => (
          <option key={value} value={value}>
            {words}
          </option>
        ))}
      </select>
      <label htmlFor={`dispute-words-${transactionId}`}>What happened{reason === 'OTHER' ? '' : ' (optional)'}</label>
      <textarea id={`dispute-words-${transactionId}`} maxLength={500} rows={3} value={description} onChange={(event) => (setDescription(event.target.value), changed())} />
      <div role="status" aria-live="polite">
        {problem && <p className="problem">{problem}</p>}
      </div>
      <div className="actions">
        <button type="submit" disabled={fetching}>
          {fetching ? 'Sending…' : 'Send dispute'}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

interface Props {
  readonly transactionId: string;
  readonly dispute: DisputeStateFragment | undefined;
  /** The line is a debit the customer may dispute. */
  readonly disputable: boolean;
  readonly onChanged: (dispute: DisputeStateFragment) => void;
}

/** In a line's details: its dispute as it stands, or the way to open one. */
export function DisputePanel({ transactionId, dispute, disputable, onChanged }: Props) {
  const [asking, setAsking] = useState(false);
  if (dispute) return <DisputeState dispute={dispute} onChanged={onChanged} justOpened={asking} />;
  if (!disputable) return null;
  if (!asking) {
    return (
      <button type="button" className="secondary" onClick={() => setAsking(true)}>
        Dispute this payment
      </button>
    );
  }
  return <OpenDisputeForm transactionId={transactionId} onOpened={onChanged} onCancel={() => setAsking(false)} />;
}
