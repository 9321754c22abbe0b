// Tally GraphiQL: the one graphql-ws connection every tab's subscriptions share.
//
// Browsers cannot put headers on a WebSocket, so the token goes in connection_init's payload.
// connectionParams is a function: each connect (the first, every retry, every restart) reads the
// token stored right now, never one remembered from an earlier request. When the stored token
// changes (sign-in, renewal, a pasted token, sign-out) the open socket is restarted and graphql-ws
// subscribes every running subscription again on the new one.
const T = window.TallyGraphiQL;
/** Our own close code for "reconnect now with the new token" (graphql-ws retries any 4xxx not fatal). */
const RESTART_CODE = 4205;
/** The server's codes (API.md): refused at connect, and token expired. Retrying with the same token cannot help. */
const FORBIDDEN = 4403;
const EXPIRED = 4401;

let socket;
let restarting = false;
let status = { state: 'idle', detail: null };
const listeners = new Set();

function setStatus(state, detail = null) {
  status = { state, detail };
  for (const listener of listeners) listener();
}

const url = new URL('/graphql', location.href);
url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';

const client = graphqlWs.createClient({
  url: url.toString(),
  lazy: true,
  lazyCloseTimeout: 3_000,
  retryAttempts: 5,
  connectionParams: async () => {
    await T.tokens.ensureFresh();
    const authorization = T.tokens.authorization();
    return authorization ? { authorization } : {};
  },
  // A refused token stays refused: fail at once (the result pane says why) instead of spinning through retries.
  shouldRetry: (event) => !(event && (event.code === FORBIDDEN || event.code === EXPIRED)),
  retryWait: async (retries) => {
    if (restarting) {
      restarting = false;
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000 * 2 ** retries + Math.random() * 1_000));
  },
  on: {
    connecting: () => setStatus('connecting'),
    connected: (opened) => {
      socket = opened;
      setStatus('connected');
    },
    closed: (event) => {
      socket = undefined;
      const reason = event && typeof event.code === 'number' ? `${event.code}${event.reason ? ` ${event.reason}` : ''}` : null;
      setStatus('closed', restarting ? 'reconnecting with the new token' : reason);
    },
  },
});

/** Closes the open socket so that graphql-ws reconnects at once, reading the token anew. */
function restart() {
  if (socket && socket.readyState === WebSocket.OPEN) {
    restarting = true;
    socket.close(RESTART_CODE, 'Access token changed');
  }
}

let lastAuthorization = T.tokens.authorization();
T.tokens.subscribe(() => {
  const authorization = T.tokens.authorization();
  if (authorization === lastAuthorization) return;
  lastAuthorization = authorization;
  restart();
});

/** What the result pane shows when the socket is closed on a subscription, by close code. */
function closeExplanation(event) {
  const code = `${event.code}${event.reason ? ` ${event.reason}` : ''}`;
  if (event.code === FORBIDDEN) {
    return `The server refused the live connection (${code}): no valid access token reached it. Sign in with the key icon ("Tally sign-in") in the left sidebar, then run the subscription again.`;
  }
  if (event.code === EXPIRED) {
    return `The server closed the live connection (${code}): the access token expired. Sign in again with the key icon ("Tally sign-in"), then run the subscription again.`;
  }
  return `The live connection closed (${code}).`;
}

T.socket = {
  client,
  restart,
  FORBIDDEN,
  EXPIRED,
  closeExplanation,
  snapshot: () => status,
  subscribe(listener) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};
