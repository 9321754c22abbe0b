import { useState, type FormEvent } from 'react';
import { useClient, useMutation, useQuery } from 'urql';
import { ConsoleAccountDocument, ConsolePayeeDocument, ConsoleReturnDepositDocument, ConsoleReverseTransactionDocument, type ConsoleAccountQuery } from '../generated/graphql';
import { accountName } from '../account-label';
import { formatMoney, formatSignedMoney } from '../money';
import { ActionResult, done, type Done } from './ActionResult';
import { ConfirmAction, settle } from './ConfirmAction';
import { describeRequestError } from './console-failures';
import { CustomerSearch } from './CustomerSearch';
import { channelWords, formatTime, words } from './format';
import { SectionHeading } from './SectionHeading';

type Line = NonNullable<ConsoleAccountQuery['account']>['transactions']['edges'][number]['node'];

/** An account number as customers write it: 11 digits, spaces and dashes allowed. */
const ACCOUNT_NUMBER = /^[\d\s-]+$/;
/** What reverseTransaction takes back (a hold, a release or a reversal is VALIDATION). */
const REVERSIBLE = new Set(['DEPOSIT', 'WITHDRAWAL', 'TRANSFER', 'HOLD_CAPTURE']);

/**
 * Find a customer (CustomerSearch) and open one of their accounts, or look an account up by its
 * number or id (each read audited by the API as operator.read_account); see its balances and
 * history, and return a deposit or reverse a transaction with a reason. A number typed here goes
 * through `payee`, which finds open accounts only and counts against the operator's hourly
 * allowance; the customer search finds frozen and closed accounts too.
 */
/** `initialAccountId` opens that account at once (the console remounts this section for each one opened elsewhere). */
export function AccountLookup({ initialAccountId }: { initialAccountId: string | undefined }) {
  const client = useClient();
  const [typed, setTyped] = useState(initialAccountId ?? '');
  const [accountId, setAccountId] = useState(initialAccountId);
  const [problem, setProblem] = useState<string>();
  const [last, setLast] = useState<Done>();

  async function lookUp(event: FormEvent) {
    event.preventDefault();
    setProblem(undefined);
    const text = typed.trim();
    if (text === '') return setProblem('Enter an account number (11 digits) or an account id.');
    if (!ACCOUNT_NUMBER.test(text)) return setAccountId(text);
    if (text.replace(/\D/g, '').length !== 11) return setProblem('An account number has 11 digits.');
    const result = await client.query(ConsolePayeeDocument, { accountNumber: text }, { requestPolicy: 'network-only' }).toPromise();
    if (result.error) return setProblem(describeRequestError(result.error));
    if (!result.data?.payee) return setProblem('No open customer account has this number. A frozen or closed account is found by its id.');
    setAccountId(result.data.payee.accountId);
  }

  return (
    <section aria-labelledby="section-title" className="console-section">
      <SectionHeading>Accounts</SectionHeading>
      <CustomerSearch
        onOpen={(id) => {
          setProblem(undefined);
          setTyped(id);
          setAccountId(id);
        }}
      />
      <form className="card lookup" onSubmit={(event) => void lookUp(event)} noValidate>
        <label htmlFor="lookup">Account number or id</label>
        <div className="inline-form">
          <input id="lookup" value={typed} onChange={(event) => setTyped(event.target.value)} autoComplete="off" aria-describedby={problem ? 'lookup-problem' : 'lookup-hint'} />
          <button type="submit">Look up</button>
        </div>
        <p id="lookup-hint" className="hint small">Every look-up is recorded in the audit log under your name.</p>
        {problem && <p id="lookup-problem" role="alert" className="problem">{problem}</p>}
      </form>
      <ActionResult done={last} />
      {accountId && <AccountView key={accountId} accountId={accountId} onDone={setLast} />}
    </section>
  );
}

function AccountView({ accountId, onDone }: { accountId: string; onDone: (done: Done) => void }) {
  const [{ data, error, fetching }, reload] = useQuery({ query: ConsoleAccountDocument, variables: { id: accountId }, requestPolicy: 'network-only' });
  const account = data?.account;
  if (fetching && !data) return <p role="status">Looking it up…</p>;
  if (!account) return <p role="alert" className="problem">{error ? describeRequestError(error) : 'No customer account has this id.'}</p>;
  const money = (decimal: string) => formatMoney(decimal, account.currency);
  const finished = (result: Done) => {
    onDone(result);
    reload({ requestPolicy: 'network-only' });
  };
  return (
    <article className="card" aria-labelledby="account-title" data-testid="account-view">
      <h3 id="account-title">
        {accountName(account)} {account.number}
        {account.status !== 'OPEN' && <span className="badge">{words(account.status)}</span>}
      </h3>
      <dl className="facts">
        <dt>Available</dt>
        <dd className="amount" data-testid="account-available">{money(account.balance.available)}</dd>
        <dt>Posted</dt>
        <dd className="amount">{money(account.balance.posted)}</dd>
        <dt>Pending</dt>
        <dd className="amount">{money(account.balance.pending)}</dd>
        <dt>Opened</dt>
        <dd>{formatTime(account.createdAt)}</dd>
        <dt>Id</dt>
        <dd><code className="id">{account.id}</code></dd>
      </dl>
      <h4>Latest lines</h4>
      {account.transactions.edges.length === 0 && <p>No money has moved yet.</p>}
      <ul className="console-list lines" aria-label="Latest lines">
        {account.transactions.edges.map(({ node: line }) => (
          <li key={line.version}>
            <HistoryLine line={line} currency={account.currency} onDone={finished} />
          </li>
        ))}
      </ul>
    </article>
  );
}

function HistoryLine({ line, currency, onDone }: { line: Line; currency: string; onDone: (done: Done) => void }) {
  const [, returnDeposit] = useMutation(ConsoleReturnDepositDocument);
  const [, reverse] = useMutation(ConsoleReverseTransactionDocument);
  const transaction = line.transaction;
  const amount = formatMoney(transaction.amount, currency);
  const posted = line.layer === 'POSTED' && transaction.status === 'POSTED';
  // The line inside a sentence: "the deposit of 40.00 USD".
  const what = `${words(transaction.kind).toLowerCase()} of ${amount}`;
  const returnable = transaction.kind === 'DEPOSIT' && !transaction.returnedBy;
  const reversible = REVERSIBLE.has(transaction.kind) && !transaction.reversedBy;
  return (
    <div className="history-line" data-transaction-id={transaction.id}>
      <div className="row-main">
        <span>
          {words(transaction.kind)} · {channelWords(transaction.channel)}
          {transaction.status !== 'POSTED' && <span className="badge">{words(transaction.status)}</span>}
        </span>
        <span className="amount">{formatSignedMoney(line.amount, currency)}</span>
      </div>
      <p className="muted small">
        v{line.version} · {formatTime(transaction.createdAt)}
        {transaction.description ? ` · ${transaction.description}` : ''}
      </p>
      {posted && (returnable || reversible) && (
        <div className="actions">
          {returnable && (
            <ConfirmAction label="Return" secondary title={`Return this deposit of ${amount}?`} confirmLabel="Yes, return it" note={{ label: 'Reason (e.g. NSF, account closed)', required: true }} onDone={onDone}
              run={async (idempotencyKey, reason) => {
                const result = await returnDeposit({ input: { transactionId: transaction.id, reason, idempotencyKey } });
                return settle(result.data?.returnDeposit, result.error, (answer) => (answer.__typename === 'MoneyMovement' ? done(`Returned: the ${what} is debited back.`, answer.transaction, answer.replayed) : undefined));
              }}>
              <p>The deposit is debited back from the account (a RETURN), and whatever of it is still on hold is released. The customer sees the reason.</p>
            </ConfirmAction>
          )}
          {reversible && (
            <ConfirmAction label="Reverse" secondary title={`Reverse this ${words(transaction.kind).toLowerCase()}?`} confirmLabel="Yes, reverse it" note={{ label: 'Reason', required: true }} onDone={onDone}
              run={async (idempotencyKey, reason) => {
                const result = await reverse({ input: { transactionId: transaction.id, reason, idempotencyKey } });
                return settle(result.data?.reverseTransaction, result.error, (answer) => (answer.__typename === 'MoneyMovement' ? done(`Reversed: the ${what} is undone by a reversal.`, answer.transaction, answer.replayed) : undefined));
              }}>
              <p>Posts a REVERSAL with the exact opposite entries of this {what}. The reason becomes its description in the history.</p>
            </ConfirmAction>
          )}
        </div>
      )}
    </div>
  );
}
