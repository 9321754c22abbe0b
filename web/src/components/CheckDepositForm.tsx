import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { DepositCheckDocument, type AvailabilityPartFragment } from '../generated/graphql';
import { describeFailure, NO_ANSWER } from '../failures';
import { amountProblem, formatMoney, fractionDigitsOf } from '../money';
import { AvailabilitySchedule } from './AvailabilitySchedule';
import type { Account } from './AccountsPage';

type Outcome =
  | { readonly kind: 'done'; readonly text: string; readonly schedule: readonly AvailabilityPartFragment[] }
  | { readonly kind: 'review' | 'problem'; readonly text: string };

/**
 * Mobile check deposit: a customer may deposit only on the CHECK rail. The check counts in the
 * posted balance at once and is held on the bank's availability schedule, so the answer shows
 * the schedule (what is available when). One idempotency key per intent, as in TransferForm.
 */
export function CheckDepositForm({ account }: { account: Account }) {
  const [amount, setAmount] = useState('');
  const [checkNumber, setCheckNumber] = useState('');
  const [outcome, setOutcome] = useState<Outcome>();
  const intentKey = useRef(crypto.randomUUID());
  const sending = useRef(false);
  const [{ fetching }, deposit] = useMutation(DepositCheckDocument);
  const digits = fractionDigitsOf(account.balance.posted);
  const typedProblem = amount === '' ? undefined : amountProblem(amount, digits);

  useEffect(() => {
    intentKey.current = crypto.randomUUID();
    setOutcome(undefined);
  }, [account.id]);

  function newIntent() {
    intentKey.current = crypto.randomUUID();
    setOutcome(undefined);
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (sending.current) return;
    const problem = amountProblem(amount, digits);
    // Said already beside the field: take the customer there rather than say it twice.
    if (problem && typedProblem) return document.getElementById('check-amount')?.focus();
    if (problem) return setOutcome({ kind: 'problem', text: problem });
    sending.current = true;
    const reference = checkNumber.trim();
    const input = { accountId: account.id, amount: amount.trim(), channel: 'CHECK' as const, idempotencyKey: intentKey.current, description: reference ? `Check ${reference}` : 'Mobile check deposit', ...(reference ? { externalRef: reference } : {}) };
    const result = await deposit({ input });
    sending.current = false;
    const answer = result.data?.deposit;
    if (!answer) return setOutcome({ kind: 'problem', text: `${NO_ANSWER} Sending again is safe: this check will not be deposited twice.` });
    intentKey.current = crypto.randomUUID();
    if (answer.__typename === 'MoneyMovement') {
      setOutcome({ kind: 'done', text: `Deposited ${formatMoney(answer.transaction.amount, answer.transaction.currency)}.`, schedule: answer.transaction.availability });
      setAmount('');
      setCheckNumber('');
    } else if (answer.__typename === 'MovementInReview') {
      setOutcome({ kind: 'review', text: 'The bank is checking this deposit. It will be credited once approved.' });
    } else {
      setOutcome({ kind: 'problem', text: describeFailure(answer) });
    }
  }

  return (
    <section className="card" aria-labelledby="check-title">
      <h2 id="check-title">Deposit a check</h2>
      <form onSubmit={(event) => void submit(event)} noValidate>
        <label htmlFor="check-amount">Amount of the check ({account.currency})</label>
        <input
          id="check-amount"
          inputMode={digits === 0 ? 'numeric' : 'decimal'}
          autoComplete="off"
          value={amount}
          onChange={(event) => {
            setAmount(event.target.value);
            newIntent();
          }}
          aria-invalid={typedProblem ? true : undefined}
          aria-describedby={typedProblem ? 'check-amount-problem' : undefined}
        />
        {typedProblem && (
          <p id="check-amount-problem" className="problem">
            {typedProblem}
          </p>
        )}
        <label htmlFor="check-number">Check number (optional)</label>
        <input
          id="check-number"
          maxLength={40}
          autoComplete="off"
          value={checkNumber}
          onChange={(event) => {
            setCheckNumber(event.target.value);
            newIntent();
          }}
        />
        <div role="status" aria-live="polite" data-testid="check-outcome">
          {outcome && <p className={outcome.kind === 'problem' ? 'problem' : 'success'}>{outcome.text}</p>}
          {outcome?.kind === 'done' && <AvailabilitySchedule parts={outcome.schedule} currency={account.currency} />}
        </div>
        <button type="submit" disabled={fetching}>
          {fetching ? 'Depositing…' : 'Deposit check'}
        </button>
      </form>
    </section>
  );
}
