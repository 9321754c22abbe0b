import { useState } from 'react';
import { useQuery } from 'urql';
import { StatementMonthsDocument } from '../generated/graphql';
import type { Session } from '../session';
import { NO_ANSWER } from '../failures';
import type { Account } from './AccountsPage';

/** "2026-11" → "November 2026": only the label; which months exist is the server's (statementMonths). */
const MONTH_NAME = new Intl.DateTimeFormat(undefined, { month: 'long', year: 'numeric', timeZone: 'UTC' });

/** Save a downloaded body under its file name, through a short-lived blob: URL. */
function save(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Download a monthly statement as PDF or CSV from GET /v1/statements/:accountId/:month.pdf|.csv.
 * The door needs the Authorization header, so the file is fetched with the access token and saved
 * as a blob: the token is never put in a URL (where it would reach logs and history). The months
 * offered are the server's `statementMonths`: calendar months in the bank's time zone, which is
 * what a statement covers (counted in UTC or the device's zone, the month would be wrong for hours
 * around the 1st, and the door refuses a month that has not begun there).
 */
export function StatementDownload({ account, session }: { account: Account; session: Session }) {
  const [{ data, error }] = useQuery({ query: StatementMonthsDocument });
  const months = data?.statementMonths ?? [];
  const [chosen, setChosen] = useState<string>();
  const month = chosen && months.includes(chosen) ? chosen : months[0];
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();

  async function download(format: 'pdf' | 'csv') {
    if (!month) return;
    setBusy(true);
    setProblem(undefined);
    try {
      await session.fresh();
      const response = await fetch(`/v1/statements/${encodeURIComponent(account.id)}/${month}.${format}`, { headers: { authorization: `Bearer ${session.accessToken ?? ''}` } });
      if (!response.ok) {
        setProblem(
          response.status === 404
            ? 'There is no statement for this account and month.'
            : response.status === 401
              ? 'Your session has ended. Please sign in again to download statements.'
              : 'The bank could not make this statement. Please try again later.',
        );
        return;
      }
      const name = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? `statement-${month}.${format}`;
      save(await response.blob(), name);
    } catch {
      setProblem(NO_ANSWER);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby="statement-title">
      <h2 id="statement-title">Statements</h2>
      <label htmlFor="statement-month">Month</label>
      <select id="statement-month" value={month ?? ''} onChange={(event) => setChosen(event.target.value)} disabled={!month}>
        {months.map((value) => (
          <option key={value} value={value}>
            {MONTH_NAME.format(new Date(`${value}-01T00:00:00Z`))}
          </option>
        ))}
      </select>
      {error && !data && <p className="problem">{NO_ANSWER}</p>}
      {problem && (
        <p role="alert" className="problem">
          {problem}
        </p>
      )}
      <div className="actions">
        <button type="button" disabled={busy || !month} onClick={() => void download('pdf')}>
          Download PDF
        </button>
        <button type="button" className="secondary" disabled={busy || !month} onClick={() => void download('csv')}>
          Download CSV
        </button>
      </div>
    </section>
  );
}
