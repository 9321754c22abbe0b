import { useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import { Provider } from 'urql';
import { createApiClient } from '../api-client';
import { Session } from '../session';
import { AccountsPage } from './AccountsPage';
import { ByRole } from '../console/ByRole';
import { SignIn } from './SignIn';

/** Same origin in production (/app is served by Tally) and in development (Vite's proxy). */
const GRAPHQL_URL = '/graphql';
const session = new Session(GRAPHQL_URL);

/** Signed out: the sign-in form. Signed in: the accounts, on a client made for this session. */
export function App() {
  const signedIn = useSyncExternalStore((listener) => session.onChange(listener), () => session.signedIn);
  const [restoring, setRestoring] = useState(true);
  useEffect(() => {
    void session.restore().finally(() => setRestoring(false));
  }, []);
  const api = useMemo(() => (signedIn ? createApiClient(GRAPHQL_URL, session) : undefined), [signedIn]);
  useEffect(() => () => api?.dispose(), [api]);

  return (
    <>
      <header className="masthead">
        <span className="brand">Tally</span>
        {api && (
          <button type="button" className="link-button" onClick={() => void session.signOut()}>
            Sign out
          </button>
        )}
      </header>
      <main id="main">
        {restoring && !api ? (
          <p role="status">Loading…</p>
        ) : api ? (
          <Provider value={api.client}>
            {/* Operators get the operations console (web/src/console/), customers their accounts. */}
            <ByRole customer={<AccountsPage onReconnect={api.onReconnect} session={session} />} />
          </Provider>
        ) : (
          <SignIn session={session} />
        )}
      </main>
    </>
  );
}
