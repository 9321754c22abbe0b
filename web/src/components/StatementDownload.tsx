import { useState } from 'react';
import type { Session } from '../session';
import { NO_ANSWER } from '../failures';
import type { Account } from './AccountsPage';

/** The current month and the eleven before it, newest first, as "YYYY-MM" (the statement door's month). */
function recentMonths(now = new Date()): string[] {
  return Array.from({ length: 12 }, (_, back) => {
    const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 1));
    return month.toISOString().slice(0, 7);
  });
}
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
 * as a blob: the token is never put in a URL (where it would reach logs and history).
 */
export function StatementDownload({ account, session }: { account: Account; session: Session }) {
  const months = recentMonths();
  const [month, setMonth] = useState(months[0]!);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();

  async function download(format: 'pdf' | 'csv') {
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
      <select id="statement-month" value={month} onChange={(event) => setMonth(event.target.value)}>
        {months.map((value) => (
          <option key={value} value={value}>
            {MONTH_NAME.format(new Date(`${value}-01T00:00:00Z`))}
          </option>
        ))}
      </select>
      {problem && (
        <p role="alert" className="problem">
          {problem}
        </p>
      )}
      <div className="actions">
        <button type="button" disabled={busy} onClick={() => void download('pdf')}>
          Download PDF
        </button>
        <button type="button" className="secondary" disabled={busy} onClick={() => void download('csv')}>
          Download CSV
        </button>
      </div>
    </section>
  );
}
