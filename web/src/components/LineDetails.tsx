import { useQuery } from 'urql';
import { TransactionDetailsDocument } from '../generated/graphql';
import { NO_ANSWER } from '../failures';
import { formatMoney } from '../money';
import { AvailabilitySchedule } from './AvailabilitySchedule';
import { DisputePanel } from './DisputePanel';
import type { DisputeStateFragment } from '../generated/graphql';

interface Props {
  readonly transactionId: string;
  readonly accountId: string;
  readonly currency: string;
  /** The customer's dispute of this transaction, if any. */
  readonly dispute?: DisputeStateFragment | undefined;
  /** The line is a debit the customer may dispute. */
  readonly disputable?: boolean;
  readonly onDisputeChanged?: (dispute: DisputeStateFragment) => void;
}

const STATUS_NAMES: Record<string, string> = { POSTED: 'Completed', PENDING: 'Pending', REVERSED: 'Reversed', RETURNED: 'Returned' };
const DATE = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/**
 * A history line's details, read when the customer opens it: the transaction's entries (every
 * posting, so debits can be seen to equal credits; another customer's account shows as
 * "another account"), whether it is still pending, a deposit's availability schedule, and the
 * line's dispute (or the way to open one).
 */
export function LineDetails({ transactionId, accountId, currency, dispute, disputable = false, onDisputeChanged = () => undefined }: Props) {
  const [{ data, error, fetching }] = useQuery({ query: TransactionDetailsDocument, variables: { id: transactionId }, requestPolicy: 'network-only' });
  if (fetching && !data) return <p role="status">Loading details…</p>;
  const transaction = data?.transaction;
  if (error || !transaction) return <p className="problem">{NO_ANSWER}</p>;
  const whose = (entryAccount: string | null | undefined) => (entryAccount === accountId ? 'This account' : entryAccount ? 'Other account' : "Another customer's account");
  return (
    <div className="line-details" data-testid="line-details">
      <p>
        {STATUS_NAMES[transaction.status] ?? transaction.status} · {transaction.channel.toLowerCase()} · {DATE.format(new Date(transaction.createdAt))}
        {transaction.postedAt === null || transaction.postedAt === undefined ? ' · not posted yet' : ''}
      </p>
      <table>
        <caption className="muted small">Entries</caption>
        <thead>
          <tr>
            <th scope="col">Account</th>
            <th scope="col">Side</th>
            <th scope="col">Amount</th>
          </tr>
        </thead>
        <tbody>
          {transaction.entries.map((entry) => (
            <tr key={entry.id}>
              <td>{whose(entry.accountId)}</td>
              <td>
                {entry.direction === 'CREDIT' ? 'Credit' : 'Debit'}
                {entry.layer === 'PENDING' && ' (pending)'}
              </td>
              <td className="amount">{formatMoney(entry.amount, currency)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <AvailabilitySchedule parts={transaction.availability} currency={currency} />
      <DisputePanel transactionId={transaction.id} dispute={dispute} disputable={disputable} onChanged={onDisputeChanged} />
    </div>
  );
}
