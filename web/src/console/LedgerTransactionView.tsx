import type { LedgerTransactionFragment } from '../generated/graphql';
import { formatMoney } from '../money';
import { formatTime, words } from './format';

/** The ledger transaction an action posted: what, how much, and every entry (debits equal credits). */
export function LedgerTransactionView({ transaction }: { transaction: LedgerTransactionFragment }) {
  return (
    <div className="ledger-transaction" data-testid="ledger-transaction">
      <p>
        Ledger transaction <code data-testid="transaction-id">{transaction.id}</code>: {words(transaction.kind)} of{' '}
        <span className="amount">{formatMoney(transaction.amount, transaction.currency)}</span>, {words(transaction.status).toLowerCase()}
        {transaction.postedAt ? ` ${formatTime(transaction.postedAt)}` : ''}.
      </p>
      {transaction.description && <p className="muted small">{transaction.description}</p>}
      <div className="table-scroll">
        <table>
          <caption className="muted small">Its entries</caption>
          <thead>
            <tr>
              <th scope="col">Account</th>
              <th scope="col">Side</th>
              <th scope="col">Layer</th>
              <th scope="col">Amount</th>
            </tr>
          </thead>
          <tbody>
            {transaction.entries.map((entry) => (
              <tr key={entry.id}>
                <td>
                  <code className="id">{entry.accountId ?? 'another account'}</code>
                </td>
                <td>{words(entry.direction)}</td>
                <td>{words(entry.layer)}</td>
                <td className="amount">{formatMoney(entry.amount, transaction.currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
