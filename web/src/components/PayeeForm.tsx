import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useClient, useMutation } from 'urql';
import { FindPayeeDocument, PaySomeoneDocument, type FindPayeeQuery } from '../generated/graphql';
import { describeFailure, NO_ANSWER } from '../failures';
import { amountProblem, formatMoney, fractionDigitsOf } from '../money';
import type { Account } from './AccountsPage';

type Payee = NonNullable<FindPayeeQuery['payee']>;
type Outcome = { readonly kind: 'done' | 'review' | 'problem'; readonly text: string };

/** 11 digits once spaces and dashes are dropped, as the payee query reads an account number. */
function accountNumberProblem(typed: string): string | undefined {
  return /^\d{11}$/.test(typed.replace(/[\s-]/g, '')) ? undefined : 'Enter the 11-digit account number the person gave you.';
}

/**
 * Pay someone by account number, in two steps: look the number up and show the holder's masked
 * name, then send only once the customer has confirmed it is the person they mean. One
 * idempotency key per intent, as in TransferForm: a new key whenever the payee, amount or note
 * changes, the same key for a double-click or a retry after no answer.
 */
export function PayeeForm({ from }: { from: Account }) {
  const client = useClient();
  const [number, setNumber] = useState('');
  const [payee, setPayee] = useState<Payee>();
  const [amount, setAmount] = useState('');
  const [note, setNote] = useState('');
  const [lookingUp, setLookingUp] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>();
  const intentKey = useRef(crypto.randomUUID());
  const sending = useRef(false);
  const [{ fetching }, pay] = useMutation(PaySomeoneDocument);
  const digits = fractionDigitsOf(from.balance.posted);
  const typedProblem = amount === '' ? undefined : amountProblem(amount, digits);

  // Paying from another account is another intent; a payee of another currency cannot be paid from it.
  useEffect(() => {
    intentKey.current = crypto.randomUUID();
    setOutcome(undefined);
    setPayee((shown) => (shown && shown.currency !== from.currency ? undefined : shown));
  }, [from.id, from.currency]);

  function newIntent() {
    intentKey.current = crypto.randomUUID();
    setOutcome(undefined);
  }

  async function lookUp(event: FormEvent) {
    event.preventDefault();
    const problem = accountNumberProblem(number);
    if (problem) return setOutcome({ kind: 'problem', text: problem });
    setLookingUp(true);
    const result = await client.query(FindPayeeDocument, { accountNumber: number }, { requestPolicy: 'network-only' }).toPromise();
    setLookingUp(false);
    if (!result.data) return setOutcome({ kind: 'problem', text: NO_ANSWER });
    const found = result.data.payee;
    if (!found) return setOutcome({ kind: 'problem', text: 'No open account has this number. Check it with the person you are paying.' });
    if (found.accountId === from.id) return setOutcome({ kind: 'problem', text: 'That is the account you are paying from. Enter the number of the account you are paying.' });
    if (found.currency !== from.currency) return setOutcome({ kind: 'problem', text: `This account holds ${found.currency}; you can pay it only from a ${found.currency} account.` });
    newIntent();
    setPayee(found);
  }

  function startOver() {
    setPayee(undefined);
    setAmount('');
    setNote('');
    newIntent();
  }

  async function send(event: FormEvent) {
    event.preventDefault();
    if (sending.current || !payee) return;
    const problem = amountProblem(amount, digits);
    // Said already beside the field: take the customer there rather than say it twice.
    if (problem && typedProblem) return document.getElementById('pay-amount')?.focus();
    if (problem) return setOutcome({ kind: 'problem', text: problem });
    sending.current = true;
    const input = { fromAccountId: from.id, toAccountId: payee.accountId, amount: amount.trim(), idempotencyKey: intentKey.current, ...(note.trim() ? { description: note.trim() } : {}) };
    const result = await pay({ input });
    sending.current = false;
    const answer = result.data?.transfer;
    if (!answer) return setOutcome({ kind: 'problem', text: `${NO_ANSWER} Sending again is safe: this payment will not be made twice.` });
    intentKey.current = crypto.randomUUID();
    if (answer.__typename === 'MoneyMovement') {
      setOutcome({ kind: 'done', text: `Paid ${formatMoney(answer.transaction.amount, answer.transaction.currency)} to ${payee.holderName}.` });
      setAmount('');
      setNote('');
    } else if (answer.__typename === 'MovementInReview') {
      setOutcome({ kind: 'review', text: 'The bank is checking this payment. It will be made once approved; the money is held until then.' });
      setAmount('');
    } else {
      setOutcome({ kind: 'problem', text: describeFailure(answer) });
    }
  }

  const status = (
    <div role="status" aria-live="polite">
      {outcome && <p className={outcome.kind === 'problem' ? 'problem' : 'success'}>{outcome.text}</p>}
    </div>
  );
  return (
    <section className="card" aria-labelledby="pay-title">
      <h2 id="pay-title">Pay someone</h2>
      {!payee ? (
        <form onSubmit={(event) => void lookUp(event)} noValidate>
          <label htmlFor="payee-number">Their account number</label>
          <input id="payee-number" inputMode="numeric" autoComplete="off" value={number} onChange={(event) => {
            setNumber(event.target.value);
            setOutcome(undefined);
          }} />
          {status}
          <button type="submit" disabled={lookingUp}>
            {lookingUp ? 'Looking up…' : 'Find account'}
          </button>
        </form>
      ) : (
        <form onSubmit={(event) => void send(event)} noValidate>
          <p className="payee" data-testid="payee-name">
            Paying <strong>{payee.holderName}</strong> <span className="muted">····{number.replace(/[\s-]/g, '').slice(-4)}</span>
          </p>
          <p className="hint">Check the name is the person you mean before you send. {formatMoney(from.balance.available, from.currency)} available.</p>
          <label htmlFor="pay-amount">Amount to pay ({from.currency})</label>
          <input id="pay-amount" inputMode={digits === 0 ? 'numeric' : 'decimal'} autoComplete="off" value={amount} onChange={(event) => {
            setAmount(event.target.value);
            newIntent();
          }} aria-invalid={typedProblem ? true : undefined} aria-describedby={typedProblem ? 'pay-amount-problem' : undefined} />
          {typedProblem && (
            <p id="pay-amount-problem" className="problem">
              {typedProblem}
            </p>
          )}
          <label htmlFor="pay-note">Note for them (optional)</label>
          <input id="pay-note" maxLength={140} value={note} onChange={(event) => {
            setNote(event.target.value);
            newIntent();
          }} />
          {status}
          <div className="actions">
            <button type="submit" disabled={fetching}>
              {fetching ? 'Paying…' : `Pay ${payee.holderName}`}
            </button>
            <button type="button" className="secondary" onClick={startOver}>
              Someone else
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
