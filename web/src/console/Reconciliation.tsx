import { useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { ConsoleImportStatementDocument, ConsoleReconcileDocument, ConsoleReconciliationsDocument, type Channel } from '../generated/graphql';
import { formatMoney } from '../money';
import { ActionResult, done, type Done } from './ActionResult';
import { ConfirmAction, settle } from './ConfirmAction';
import { channelWords, formatAmount, formatTime, words } from './format';
import { RunReport } from './RunReport';
import { SectionHeading } from './SectionHeading';

/** The rails that send statements (INTERNAL has none). */
const CHANNELS: readonly Channel[] = ['ACH', 'CARD', 'WIRE', 'ZELLE', 'PAYPAL', 'THIRD_PARTY', 'DIRECT_DEPOSIT', 'CHECK', 'ATM', 'CASH'];
/** importStatement takes at most 1 MiB of content (the whole GraphQL request is capped there too). */
const MAX_FILE_BYTES = 1_000_000;
/** How many recent runs are listed. */
const RECENT_RUNS = 10;

interface Imported {
  readonly id: string;
  readonly channel: Channel;
  readonly currency: string;
  readonly lines: number;
}

/** Upload a rail's statement, reconcile it, and read the report: matched, unmatched and mismatched with totals, and the breaks to resolve. */
export function Reconciliation() {
  const [{ data: runs }, reloadRuns] = useQuery({ query: ConsoleReconciliationsDocument, variables: { first: RECENT_RUNS }, requestPolicy: 'network-only' });
  const [imported, setImported] = useState<Imported>();
  const [runId, setRunId] = useState<string>();
  const [last, setLast] = useState<Done>();
  return (
    <section aria-labelledby="section-title" className="console-section">
      <SectionHeading>Reconciliation</SectionHeading>
      <p className="hint">Import a rail’s statement, match it with the ledger, and resolve what differs.</p>
      <ActionResult done={last} />
      <div className="card">
        <h3>Import a statement</h3>
        <StatementImportForm
          onImported={(statement) => {
            setImported(statement);
            setRunId(undefined);
          }}
          onDone={setLast}
        />
        {imported && (
          <ReconcileButton
            imported={imported}
            onRun={(id) => {
              setRunId(id);
              reloadRuns({ requestPolicy: 'network-only' });
            }}
            onDone={setLast}
          />
        )}
      </div>
      {runId && <RunReport key={runId} runId={runId} currency={imported?.currency} onDone={setLast} />}
      <div className="card">
        <h3>Recent runs</h3>
        {runs && runs.reconciliations.edges.length === 0 && <p>No statement has been reconciled yet.</p>}
        <ul className="console-list" aria-label="Recent reconciliation runs">
          {runs?.reconciliations.edges.map(({ node: run }) => (
            <li key={run.id}>
              <button type="button" className={`row-button${run.id === runId ? ' selected' : ''}`} aria-pressed={run.id === runId} onClick={() => setRunId(run.id)}>
                <span className="row-main">
                  {channelWords(run.channel)} · {formatTime(run.createdAt)}
                </span>
                <span className="muted small">
                  {run.matched.count} matched · net difference {formatAmount(run.netDifference)} · {words(run.status).toLowerCase()}
                </span>
              </button>
            </li>
          ))}
        </ul>
      </div>
    </section>
  );
}

/** The file, its rail and column profile; importing is confirmed first (a malformed line refuses the whole file). */
function StatementImportForm({ onImported, onDone }: { onImported: (imported: Imported) => void; onDone: (done: Done) => void }) {
  const [, importStatement] = useMutation(ConsoleImportStatementDocument);
  const [file, setFile] = useState<File>();
  const [channel, setChannel] = useState<Channel>('ACH');
  const [profile, setProfile] = useState('default');
  const tooBig = file !== undefined && file.size > MAX_FILE_BYTES;
  const format = file && /\.(jsonl|ndjson)$/i.test(file.name) ? 'JSONL' : 'CSV';
  const profileName = profile.trim() || 'default';
  return (
    <>
      <label htmlFor="statement-file">Statement file (CSV, or JSON lines ending .jsonl)</label>
      <input id="statement-file" type="file" accept=".csv,.jsonl,.ndjson,text/csv,application/x-ndjson" onChange={(event) => setFile(event.target.files?.[0])} aria-describedby={tooBig ? 'statement-file-problem' : undefined} />
      {tooBig && <p id="statement-file-problem" className="problem">This file is over 1 MB: send it to POST /v1/reconciliation/statements instead, which streams up to 50 MB.</p>}
      <div className="two-fields">
        <div>
          <label htmlFor="statement-channel">Rail</label>
          <select id="statement-channel" value={channel} onChange={(event) => setChannel(event.target.value as Channel)}>
            {CHANNELS.map((option) => (
              <option key={option} value={option}>
                {channelWords(option)}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="statement-profile">Column profile</label>
          <input id="statement-profile" value={profile} onChange={(event) => setProfile(event.target.value)} />
        </div>
      </div>
      <div className="actions">
        <ConfirmAction label="Import statement" disabled={!file || tooBig} title={`Import ${file?.name ?? 'the file'}?`} confirmLabel="Yes, import it" onDone={onDone}
          run={async (idempotencyKey) => {
            if (!file) return { kind: 'refused', text: 'Choose a file first.' };
            const result = await importStatement({ input: { channel, format, content: await file.text(), idempotencyKey, profile: profileName } });
            return settle(result.data?.importStatement, result.error, (answer) => {
              if (answer.__typename !== 'StatementImport') return undefined;
              onImported(answer);
              return done(`${answer.replayed ? 'This statement was imported before' : 'Imported'}: ${answer.lines} lines in ${answer.currency}, totalling ${formatMoney(answer.total, answer.currency)}. Reconcile it next.`);
            });
          }}>
          <p>
            The file is read as a {channelWords(channel)} statement ({format === 'JSONL' ? 'JSON lines' : 'CSV'}, profile “{profileName}”). A malformed line refuses the whole file and nothing is imported; the same file again is a replay.
          </p>
        </ConfirmAction>
      </div>
    </>
  );
}

/** Runs the matching on an imported statement, confirmed first; no money moves. */
function ReconcileButton({ imported, onRun, onDone }: { imported: Imported; onRun: (runId: string) => void; onDone: (done: Done) => void }) {
  const [, reconcile] = useMutation(ConsoleReconcileDocument);
  return (
    <div className="actions">
      <ConfirmAction label="Reconcile" title="Reconcile this statement?" confirmLabel="Yes, reconcile" onDone={onDone}
        run={async (idempotencyKey) => {
          const result = await reconcile({ input: { statementId: imported.id, idempotencyKey } });
          return settle(result.data?.reconcile, result.error, (answer) => {
            if (answer.__typename !== 'ReconciliationRun') return undefined;
            onRun(answer.id);
            return done(`Reconciled: ${answer.matched.count} matched, ${answer.unmatchedStatement.count + answer.unmatchedLedger.count + answer.mismatched.count} to look at. No money moved.`);
          });
        }}>
        <p>Matches the statement’s {imported.lines} lines with the {channelWords(imported.channel)} settlement account’s entries and records every difference as a break. No money moves.</p>
      </ConfirmAction>
    </div>
  );
}
