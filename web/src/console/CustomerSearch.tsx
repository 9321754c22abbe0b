import { useState, type FormEvent } from 'react';
import { useClient } from 'urql';
import { ConsoleCustomersDocument, type ConsoleCustomersQuery } from '../generated/graphql';
import { accountName } from '../account-label';
import { formatMoney } from '../money';
import { describeRequestError } from './console-failures';
import { words } from './format';

type Customer = ConsoleCustomersQuery['customers'][number];

/** The API's bounds on a search (Query.customers): checked here first so the message is ours. */
const MIN_SEARCH = 2;
const MAX_SEARCH = 100;
/** How many customers one search shows (the query asks for this many). */
const SHOWN = 5;

/**
 * "Find a customer": by the start of a username, an exact e-mail or an account number
 * (`customers`, each customer found audited by the API as operator.read_customer and each
 * account shown as operator.read_account). Each account of a match opens in the account view.
 */
export function CustomerSearch({ onOpen }: { onOpen: (accountId: string) => void }) {
  const client = useClient();
  const [typed, setTyped] = useState('');
  const [found, setFound] = useState<readonly Customer[]>();
  const [problem, setProblem] = useState<string>();
  const [searching, setSearching] = useState(false);

  async function search(event: FormEvent) {
    event.preventDefault();
    setProblem(undefined);
    const text = typed.trim();
    if (text.length < MIN_SEARCH || text.length > MAX_SEARCH) return setProblem(`Type ${MIN_SEARCH} to ${MAX_SEARCH} characters: the start of a username, an e-mail address or an account number.`);
    setSearching(true);
    const result = await client.query(ConsoleCustomersDocument, { search: text }, { requestPolicy: 'network-only' }).toPromise();
    setSearching(false);
    if (result.error) return setProblem(describeRequestError(result.error));
    setFound(result.data?.customers ?? []);
  }

  return (
    <div className="card lookup">
      <form onSubmit={(event) => void search(event)} noValidate>
        <label htmlFor="customer-search">Find a customer</label>
        <div className="inline-form">
          <input id="customer-search" value={typed} onChange={(event) => setTyped(event.target.value)} autoComplete="off" aria-describedby={problem ? 'customer-search-problem' : 'customer-search-hint'} />
          <button type="submit" disabled={searching}>Find</button>
        </div>
        <p id="customer-search-hint" className="hint small">The start of a username, an e-mail address or an account number. Every customer found is recorded in the audit log under your name.</p>
        {problem && <p id="customer-search-problem" role="alert" className="problem">{problem}</p>}
      </form>
      {found && <Matches customers={found} onOpen={onOpen} />}
    </div>
  );
}

function Matches({ customers, onOpen }: { customers: readonly Customer[]; onOpen: (accountId: string) => void }) {
  if (customers.length === 0) return <p role="status">No customer matches. A username is matched from its start, an e-mail address only whole.</p>;
  return (
    <>
      <p role="status">
        {customers.length === 1 ? 'One customer' : `${customers.length} customers`}
        {customers.length === SHOWN ? ` (the first ${SHOWN}: type more to narrow it down)` : ''}.
      </p>
      <ul className="console-list" aria-label="Customers found" data-testid="customers-found">
        {customers.map((customer) => (
          <li key={customer.id} className="customer-match">
            <p>
              <strong>{customer.username}</strong> <span className="muted small">{customer.email}</span>
            </p>
            {customer.accounts.length === 0 && <p className="muted small">No accounts.</p>}
            <ul className="console-list" aria-label={`Accounts of ${customer.username}`}>
              {customer.accounts.map((account) => (
                <li key={account.id} className="row-main">
                  <span>
                    {accountName(account)} {account.number}
                    {account.status !== 'OPEN' && <span className="badge">{words(account.status)}</span>}
                    <span className="amount"> · {formatMoney(account.balance.available, account.currency)} available</span>
                  </span>
                  <button type="button" className="secondary" onClick={() => onOpen(account.id)} aria-label={`Open ${accountName(account)} ${account.number} of ${customer.username}`}>
                    Open
                  </button>
                </li>
              ))}
            </ul>
          </li>
        ))}
      </ul>
    </>
  );
}
