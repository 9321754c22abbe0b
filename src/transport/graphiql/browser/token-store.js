// Tally GraphiQL: the signed-in token pair, stored once for every GraphiQL tab, HTTP and socket alike.
//
// It lives in sessionStorage, not localStorage: refresh tokens rotate and presenting a retired one
// revokes the whole session, so two browser tabs sharing one pair would refresh it at the same
// moment and sign each other out. A reload keeps the session; closing the browser tab ends it.
const T = (window.TallyGraphiQL = window.TallyGraphiQL || {});
const STORAGE_KEY = 'tally:auth';
const ENDPOINT = '/graphql';
/** Renew this long before expiry (at most a fifth of the token's life, so short tokens work too). */
const RENEW_AHEAD_MS = 60_000;
/** A request is not sent with a token that expires sooner than this; it is renewed first. */
const ABOUT_TO_EXPIRE_MS = 5_000;

const TOKEN_FIELDS = '... on AuthTokens { accessToken accessTokenExpiresAt refreshToken } ... on Error { code message }';
const SIGN_IN = `mutation TallyGraphiQLSignIn($input: GenerateTokenInput!) { generateToken(input: $input) { ${TOKEN_FIELDS} } }`;
const RENEW = `mutation TallyGraphiQLRenew($refreshToken: String!) { refreshToken(refreshToken: $refreshToken) { ${TOKEN_FIELDS} } }`;
const SIGN_OUT = 'mutation TallyGraphiQLSignOut($refreshToken: String!) { revokeToken(refreshToken: $refreshToken) }';

/** { accessToken, expiresAt (ms or null), refreshToken (or null for a pasted token), username, renewAt } or null. */
let session = load();
/** The last problem worth showing in the panel (failed sign-in, ended session), or null. */
let notice = null;
let snapshot = { session, notice };
let renewTimer;
let renewing;
const listeners = new Set();

function load() {
  try {
    return JSON.parse(sessionStorage.getItem(STORAGE_KEY) || 'null');
  } catch {
    return null;
  }
}

function publish(nextSession, nextNotice) {
  session = nextSession;
  notice = nextNotice;
  if (session) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  else sessionStorage.removeItem(STORAGE_KEY);
  snapshot = { session, notice };
  scheduleRenewal();
  for (const listener of listeners) listener();
}

function withRenewTime(next) {
  if (!next.refreshToken || !next.expiresAt) return { ...next, renewAt: null };
  const life = next.expiresAt - Date.now();
  return { ...next, renewAt: next.expiresAt - Math.min(RENEW_AHEAD_MS, life / 5) };
}

function scheduleRenewal() {
  clearTimeout(renewTimer);
  if (session && session.renewAt) renewTimer = setTimeout(() => renew(), Math.max(0, session.renewAt - Date.now()));
}

/** POSTs one operation to the API; the panel's own calls, not the user's. */
async function post(query, variables, authorization) {
  const headers = { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' };
  if (authorization) headers.authorization = authorization;
  const response = await fetch(ENDPOINT, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return response.json();
}

/** AuthTokens, or throws an Error whose message is the server's reason. */
function tokensOf(result, field) {
  const tokens = result && result.data && result.data[field];
  if (tokens && tokens.accessToken) return tokens;
  if (tokens && tokens.message) throw new Error(`${tokens.code}: ${tokens.message}`);
  const error = result && result.errors && result.errors[0];
  throw new Error(error ? error.message : 'The server gave no answer.');
}

function sessionFrom(tokens, username) {
  return withRenewTime({
    accessToken: tokens.accessToken,
    expiresAt: Date.parse(tokens.accessTokenExpiresAt),
    refreshToken: tokens.refreshToken,
    username,
  });
}

async function signIn(username, password, otp) {
  const input = { username, password };
  if (otp) input.otp = otp;
  try {
    const tokens = tokensOf(await post(SIGN_IN, { input }), 'generateToken');
    publish(sessionFrom(tokens, username), null);
    return true;
  } catch (error) {
    publish(session, `Sign-in failed: ${error.message}`);
    return false;
  }
}

/** Trades the refresh token for a new pair; one renewal at a time (a second would present a retired token). */
function renew() {
  if (!session || !session.refreshToken) return Promise.resolve(false);
  if (!renewing) {
    const renewed = session;
    renewing = post(RENEW, { refreshToken: renewed.refreshToken })
      .then((result) => {
        publish(sessionFrom(tokensOf(result, 'refreshToken'), renewed.username), null);
        return true;
      })
      .catch((error) => {
        // Offline for a moment: keep the token while it lasts and try again in 10 s.
        if (error instanceof TypeError && renewed.expiresAt > Date.now()) {
          publish({ ...renewed, renewAt: Date.now() + 10_000 }, 'Could not reach the server to renew the token; trying again.');
        } else {
          publish(null, `Your session ended (${error.message}). Sign in again.`);
        }
        return false;
      })
      .finally(() => {
        renewing = undefined;
      });
  }
  return renewing;
}

/** Before a request: renew a token that is about to expire, when we can. */
async function ensureFresh() {
  if (session && session.refreshToken && session.expiresAt && session.expiresAt - Date.now() < ABOUT_TO_EXPIRE_MS) await renew();
}

/** A token pasted by hand (with or without "Bearer "): used as is, never renewed. */
function useAccessToken(text) {
  const accessToken = String(text).trim().replace(/^Bearer\s+/i, '');
  if (!accessToken) return;
  const claims = claimsOf(accessToken);
  publish(withRenewTime({ accessToken, expiresAt: claims.exp ? claims.exp * 1000 : null, refreshToken: null, username: null }), null);
}

/** The JWT's payload, for its expiry only: the server is the one that checks it. */
function claimsOf(accessToken) {
  try {
    const part = accessToken.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part.padEnd(Math.ceil(part.length / 4) * 4, '=')));
  } catch {
    return {};
  }
}

async function signOut() {
  const ended = session;
  publish(null, null);
  if (ended && ended.refreshToken) await post(SIGN_OUT, { refreshToken: ended.refreshToken }).catch(() => undefined);
}

// A tab that slept past its renewal time renews as soon as it is looked at again.
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && session && session.renewAt && session.renewAt <= Date.now()) renew();
});
scheduleRenewal();

T.tokens = {
  /** The Authorization header value for the current token, or undefined. */
  authorization: () => (session ? `Bearer ${session.accessToken}` : undefined),
  ensureFresh,
  renew,
  canRenew: () => Boolean(session && session.refreshToken),
  signIn,
  signOut,
  useAccessToken,
  /** For React's useSyncExternalStore: a new object only when something changed. */
  snapshot: () => snapshot,
  subscribe(listener) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};
