import { useCallback, useState } from 'react';
import { useQuery } from 'urql';
import { MyAccountsDocument, type AccountBalanceFragment, type MyAccountsQuery } from '../generated/graphql';
import { NO_ANSWER } from '../failures';
import { accountName } from '../account-label';
import { formatMoney } from '../money';
import { BalanceFeed } from './BalanceFeed';
import { History } from './History';
import { TransferForm } from './TransferForm';
import { PayeeForm } from './PayeeForm';
import { CheckDepositForm } from './CheckDepositForm';
import { StatementDownload } from './StatementDownload';
import { TwoFactorCard } from './TwoFactorCard';
import type { Session } from '../session';

export type Account = MyAccountsQuery['accounts'][number];

/** The customer's accounts with live balances, the chosen account's history, and its forms: pay someone, move money, deposit a check, statements. */
export function AccountsPage({ onReconnect, session }: { onReconnect: (listener: () => void) => () => void; session: Session }) {
  const [{ data, error, fetching }] = useQuery({ query: MyAccountsDocument, requestPolicy: 'network-only' });
  // The newest balance seen per account (from the first read or the live feed), by version.
  const [live, setLive] = useState<Record<string, AccountBalanceFragment>>({});
  const [selected, setSelected] = useState<string>();
  const onBalance = useCallback((accountId: string, balance: AccountBalanceFragment) => {
    setLive((current) => ((current[accountId]?.version ?? -1) >= balance.version ? current : { ...current, [accountId]: balance }));
  }, []);

  if (fetching && !data) return <p role="status">Loading your accounts…</p>;
  if (error || !data) return <p role="alert" className="problem">{NO_ANSWER}</p>;
  const balanceOf = (account: Account) => {
    const fromFeed = live[account.id];
    return fromFeed && fromFeed.version > account.balance.version ? fromFeed : account.balance;
  };
  const accounts = data.accounts.map((account) => ({ ...account, balance: balanceOf(account) }));
  const current = accounts.find((account) => account.id === selected) ?? accounts[0];

  return (
    <>
      <h1>Your accounts</h1>
      <p className="hint">Hello {data.me.username}. Balances update as money moves.</p>
      {accounts.length === 0 && <p>You have no accounts yet.</p>}
      <ul className="accounts" aria-label="Accounts">
        {accounts.map((account) => (
          <li key={account.id}>
            <BalanceFeed accountId={account.id} version={data.accounts.find((read) => read.id === account.id)?.balance.version ?? 0} onBalance={onBalance} onReconnect={onReconnect} />
            <button type="button" className={`account${account.id === current?.id ? ' selected' : ''}`} aria-pressed={account.id === current?.id} onClick={() => setSelected(account.id)} data-account-id={account.id}>
              <span className="account-name">
                {accountName(account)} <span className="muted">····{account.number.slice(-4)}</span>
                {account.status !== 'OPEN' && <span className="badge">{account.status === 'FROZEN' ? 'Frozen' : 'Closed'}</span>}
              </span>
              <span className="amount big" data-testid="available">
                {formatMoney(account.balance.available, account.currency)}
              </span>
              <span className="muted small">available</span>
              <span className="balance-detail">
                <span>
                  Posted <span data-testid="posted">{formatMoney(account.balance.posted, account.currency)}</span>
                </span>
                <span>
                  Pending <span data-testid="pending">{formatMoney(account.balance.pending, account.currency)}</span>
                </span>
              </span>
            </button>
          </li>
        ))}
      </ul>
      {current && (
        <div className="columns">
          <History account={current} />
          <div className="stack">
            <PayeeForm from={current} />
            <TransferForm accounts={accounts} from={current} />
            <CheckDepositForm account={current} />
            <StatementDownload account={current} session={session} />
            <TwoFactorCard />
          </div>
        </div>
      )}
    </>
  );
}
