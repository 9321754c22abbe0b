import { useQuery } from 'urql';
import { ConsoleJournalStatusDocument } from '../generated/graphql';
import { describeRequestError } from './console-failures';
import { formatTime } from './format';
import { SectionHeading } from './SectionHeading';

/** The journal's hash chain: its sealed head, the sealer's lag, and a replay of the chain (journalStatus replays it, audited). */
export function JournalStatus() {
  const [{ data, error, fetching }, verify] = useQuery({ query: ConsoleJournalStatusDocument, requestPolicy: 'network-only' });
  const status = data?.journalStatus;
  return (
    <section aria-labelledby="section-title" className="console-section">
      <SectionHeading>Journal</SectionHeading>
      <p className="hint">Every state change is a journal record; a sealer chains them by hash. Each check below replays the whole chain.</p>
      <div className="card" aria-busy={fetching}>
        {error && <p role="alert" className="problem">{describeRequestError(error)}</p>}
        {status && (
          <>
            <p role="status" className={status.brokenAt === null ? 'success' : 'problem'} data-testid="journal-verdict">
              {status.brokenAt === null ? 'The chain holds: every sealed record replays to the head.' : `The chain is broken at position ${status.brokenAt}. Tell the security team; do not edit anything.`}
            </p>
            <dl className="facts">
              <dt>Sealed head</dt>
              <dd>position {status.sealedPosition}</dd>
              <dt>Head hash</dt>
              <dd><code className="id">{status.headHash}</code></dd>
              <dt>Not sealed yet</dt>
              <dd>{status.unsealed} record(s), oldest waiting {status.lagSeconds.toFixed(1)} s</dd>
              <dt>Last verified intact</dt>
              <dd>{formatTime(status.lastVerified)}</dd>
            </dl>
          </>
        )}
        <button type="button" disabled={fetching} onClick={() => verify({ requestPolicy: 'network-only' })}>
          {fetching ? 'Verifying…' : 'Verify the chain again'}
        </button>
      </div>
    </section>
  );
}
