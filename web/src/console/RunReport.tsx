import { useState } from 'react';
import { useClient, useMutation, useQuery } from 'urql';
import { ConsoleReconciliationDocument, ConsoleResolveBreakDocument, ConsoleTransactionDocument, type ConsoleBreakFragment } from '../generated/graphql';
import { done, type Done } from './ActionResult';
import { ConfirmAction, settle } from './ConfirmAction';
import { describeRequestError } from './console-failures';
import { channelWords, formatAmount, formatTime, shortId, words } from './format';

const KIND_WORDS: Record<string, string> = {
  UNMATCHED_STATEMENT: 'A statement line the ledger lacks',
  UNMATCHED_LEDGER: 'A ledger entry the statement lacks',
  MISMATCHED: 'Same reference, different amounts',
};

/** One run's report: the totals of each kind, the net difference, and every break with its resolutions. */
export function RunReport({ runId, currency, onDone }: { runId: string; currency: string | undefined; onDone: (done: Done) => void }) {
  const [{ data, error, fetching }, reload] = useQuery({ query: ConsoleReconciliationDocument, variables: { id: runId }, requestPolicy: 'network-only' });
  const run = data?.reconciliation;
  if (fetching && !data) return <p role="status">Loading the report…</p>;
  if (!run) return <p role="alert" className="problem">{error ? describeRequestError(error) : 'This run was not found.'}</p>;
  const unit = currency ? ` ${currency}` : '';
  const rows = [
    ['Matched', run.matched],
    ['Unmatched in the statement', run.unmatchedStatement],
    ['Unmatched in the ledger', run.unmatchedLedger],
    ['Mismatched', run.mismatched],
  ] as const;
  const breaks = run.breaks.edges.map((edge) => edge.node);
  return (
    <article className="card" aria-labelledby="run-title" data-testid="run-report">
      <h3 id="run-title">
        {channelWords(run.channel)} run of {formatTime(run.createdAt)}: {words(run.status).toLowerCase()}
      </h3>
      <div className="table-scroll">
        <table className="totals">
          <caption className="muted small">Amounts from the bank’s side: money in is positive.</caption>
          <thead>
            <tr>
              <th scope="col">What</th>
              <th scope="col">Count</th>
              <th scope="col">Total{unit}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(([label, totals]) => (
              <tr key={label}>
                <th scope="row">{label}</th>
                <td data-testid={`count-${label}`}>{totals.count}</td>
                <td className="amount" data-testid={`total-${label}`}>{formatAmount(totals.total)}</td>
              </tr>
            ))}
            <tr>
              <th scope="row">Net difference</th>
              <td />
              <td className="amount" data-testid="net-difference">{formatAmount(run.netDifference)}</td>
            </tr>
          </tbody>
        </table>
      </div>
      <h4>Breaks</h4>
      {breaks.length === 0 && <p>None: the statement and the ledger agree.</p>}
      <ul className="console-list" aria-label="Breaks">
        {breaks.map((item) => (
          <li key={item.id}>
            <BreakCard item={item} unit={unit} onDone={(result) => { onDone(result); reload({ requestPolicy: 'network-only' }); }} />
          </li>
        ))}
      </ul>
    </article>
  );
}

function BreakCard({ item, unit, onDone }: { item: ConsoleBreakFragment; unit: string; onDone: (done: Done) => void }) {
  const [, resolveBreak] = useMutation(ConsoleResolveBreakDocument);
  const client = useClient();
  const [chosen, setChosen] = useState<string[]>([]);
  const amount = `${formatAmount(item.amount)}${unit}`;
  const open = item.status === 'OPEN';
  const canMatch = open && item.kind === 'UNMATCHED_STATEMENT' && item.candidates.length > 0;

  async function resolve(action: 'ADJUST' | 'EXPECT_LATER' | 'MATCH', idempotencyKey: string, reason: string) {
    const result = await resolveBreak({ input: { breakId: item.id, action, idempotencyKey, ...(reason ? { reason } : {}), ...(action === 'MATCH' ? { entryIds: chosen } : {}) } });
    const answer = result.data?.resolveBreak;
    // The adjustment's ledger transaction is read in full, so the operator sees its entries.
    const adjustment = answer?.__typename === 'ReconciliationBreak' && answer.adjustmentTransactionId
      ? (await client.query(ConsoleTransactionDocument, { id: answer.adjustmentTransactionId }, { requestPolicy: 'network-only' }).toPromise()).data?.transaction
      : undefined;
    return settle(answer, result.error, (resolved) =>
      resolved.__typename === 'ReconciliationBreak' ? done(`Break ${words(resolved.status).toLowerCase()}${resolved.adjustmentTransactionId ? `: ${amount} adjusted against suspense` : ''}.`, adjustment) : undefined,
    );
  }

  return (
    <div className="break" data-break-id={item.id}>
      <p className="row-main">
        {KIND_WORDS[item.kind] ?? words(item.kind)}: <span className="amount">{amount}</span>
        {item.overdue && open && <span className="badge">Overdue</span>}
      </p>
      {item.statementLine && <p className="small"><code>{item.statementLine}</code></p>}
      <p className="muted small">
        {open ? `Open, due ${formatTime(item.dueAt)}` : `${words(item.status)}${item.reason ? `: ${item.reason}` : ''}`}
        {item.candidates.length > 0 && open ? ` · ${item.candidates.length} candidate(s)` : ''}
      </p>
      {open && (
        <div className="actions">
          <ConfirmAction label="Adjust" title={`Adjust ${amount} against suspense?`} confirmLabel="Yes, post the adjustment" note={{ label: 'Reason', required: true }} onDone={onDone} run={(key, reason) => resolve('ADJUST', key, reason)}>
            <p>Posts an adjustment between the settlement account and the bank’s suspense account for {amount}, and marks the break adjusted.</p>
          </ConfirmAction>
          {item.kind !== 'MISMATCHED' && (
            <ConfirmAction label="Expect later" secondary title="Expect it in a later statement?" confirmLabel="Yes, expect it later" note={{ label: 'Reason', required: false }} onDone={onDone} run={(key, reason) => resolve('EXPECT_LATER', key, reason)}>
              <p>It stays unmatched for a later statement’s run. No money moves.</p>
            </ConfirmAction>
          )}
          {canMatch && (
            <ConfirmAction label="Match by hand" secondary title="Match this line with entries?" confirmLabel="Yes, match them" note={{ label: 'Reason', required: false }} onDone={onDone} run={(key, reason) => resolve('MATCH', key, reason)}>
              <fieldset>
                <legend>Settlement entries that sum to {amount}</legend>
                {item.candidates.map((entryId) => (
                  <label key={entryId} className="check">
                    <input type="checkbox" checked={chosen.includes(entryId)} onChange={(event) => setChosen((now) => (event.target.checked ? [...now, entryId] : now.filter((id) => id !== entryId)))} /> Entry <code title={entryId}>{shortId(entryId)}</code>
                  </label>
                ))}
              </fieldset>
            </ConfirmAction>
          )}
        </div>
      )}
    </div>
  );
}
