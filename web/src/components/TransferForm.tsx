import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { TransferBetweenOwnAccountsDocument } from '../generated/graphql';
import { describeFailure, NO_ANSWER } from '../failures';
import { accountLabel } from '../account-label';
import { amountProblem, formatMoney, fractionDigitsOf } from '../money';
import type { Account } from './AccountsPage';

interface Draft {
  readonly toAccountId: string;
  readonly amount: string;
  readonly description: string;
}

type Outcome = { readonly kind: 'done' | 'review' | 'problem'; readonly text: string };

/**
 * Move money between the customer's own accounts. One idempotency key per intent: made when the
 * form opens and again whenever the customer changes what they are asking for; reused for a
 * double-click and for a retry after no answer, so the bank pays at most once. After a definite
 * answer (paid, or refused) the next send is a new intent with a new key.
 */
export function TransferForm({ accounts, from }: { accounts: readonly Account[]; from: Account }) {
  const targets = accounts.filter((account) => account.id !== from.id && account.currency === from.currency && account.status === 'OPEN');
  const [draft, setDraft] = useState<Draft>({ toAccountId: '', amount: '', description: '' });
  const intentKey = useRef(crypto.randomUUID());
  const sending = useRef(false);
  const [outcome, setOutcome] = useState<Outcome>();
  const [{ fetching }, transfer] = useMutation(TransferBetweenOwnAccountsDocument);
  const digits = fractionDigitsOf(from.balance.posted);
  const toAccountId = targets.some((account) => account.id === draft.toAccountId) ? draft.toAccountId : (targets[0]?.id ?? '');
  const typedProblem = draft.amount === '' ? undefined : amountProblem(draft.amount, digits);

  // Paying from another account is another intent.
  useEffect(() => {
    intentKey.current = crypto.randomUUID();
    setOutcome(undefined);
  }, [from.id]);

  function change(next: Partial<Draft>) {
    setDraft((current) => ({ ...current, ...next }));
    intentKey.current = crypto.randomUUID();
    setOutcome(undefined);
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (sending.current) return;
    const problem = amountProblem(draft.amount, digits);
    // Said already beside the field: take the customer there rather than say it twice.
    if (problem && typedProblem) return document.getElementById('transfer-amount')?.focus();
    if (problem || !toAccountId) {
      setOutcome({ kind: 'problem', text: problem ?? 'Choose the account to pay into.' });
      return;
    }
    sending.current = true;
    const input = { fromAccountId: from.id, toAccountId, amount: draft.amount.trim(), idempotencyKey: intentKey.current, ...(draft.description.trim() ? { description: draft.description.trim() } : {}) };
    const result = await transfer({ input });
    sending.current = false;
    const answer = result.data?.transfer;
    if (!answer) {
      // No answer: the payment may or may not have been made. The same key is sent again on retry.
      setOutcome({ kind: 'problem', text: `${NO_ANSWER} Sending again is safe: this payment will not be made twice.` });
      return;
    }
    intentKey.current = crypto.randomUUID();
    if (answer.__typename === 'MoneyMovement') {
      setOutcome({ kind: 'done', text: `Sent ${formatMoney(answer.transaction.amount, answer.transaction.currency)}.` });
      setDraft({ toAccountId, amount: '', description: '' });
    } else if (answer.__typename === 'MovementInReview') {
      setOutcome({ kind: 'review', text: 'The bank is checking this payment. It will be made once approved; the money is held until then.' });
      setDraft({ toAccountId, amount: '', description: '' });
    } else {
      setOutcome({ kind: 'problem', text: describeFailure(answer) });
    }
  }

  return (
    <section className="card" aria-labelledby="transfer-title">
      <h2 id="transfer-title">Move money</h2>
      {targets.length === 0 ? (
        <p>You need another open {from.currency} account to move money into.</p>
      ) : (
        <form onSubmit={(event) => void submit(event)} noValidate>
          <p className="hint">
            From {accountLabel(from)}, {formatMoney(from.balance.available, from.currency)} available
          </p>
          <label htmlFor="transfer-to">To</label>
          <select id="transfer-to" value={toAccountId} onChange={(event) => change({ toAccountId: event.target.value })}>
            {targets.map((account) => (
              <option key={account.id} value={account.id}>
                {accountLabel(account)}
              </option>
            ))}
          </select>
          <label htmlFor="transfer-amount">Amount ({from.currency})</label>
          <input id="transfer-amount" inputMode={digits === 0 ? 'numeric' : 'decimal'} autoComplete="off" value={draft.amount} onChange={(event) => change({ amount: event.target.value })} aria-invalid={typedProblem ? true : undefined} aria-describedby={typedProblem ? 'transfer-amount-problem' : undefined} />
          {typedProblem && (
            <p id="transfer-amount-problem" className="problem">
              {typedProblem}
            </p>
          )}
          <label htmlFor="transfer-description">Note (optional)</label>
          <input id="transfer-description" maxLength={140} value={draft.description} onChange={(event) => change({ description: event.target.value })} />
          <div role="status" aria-live="polite">
            {outcome && <p className={outcome.kind === 'problem' ? 'problem' : 'success'}>{outcome.text}</p>}
          </div>
          <button type="submit" disabled={fetching}>
            {fetching ? 'Sending…' : 'Send'}
          </button>
        </form>
      )}
    </section>
  );
}
