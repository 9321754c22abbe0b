// Tally GraphiQL: the sign-in panel, a GraphiQL plugin (a sidebar button and its panel).
// Plain React.createElement: GraphiQL's bundle puts its React on globalThis (this file runs
// before the bundle, so React is looked up at render time), and the file is served as is, with
// no build step.
const T = window.TallyGraphiQL;
const h = (...args) => React.createElement(...args);
const TITLE = 'Tally sign-in';

function KeyIcon() {
  return h(
    'svg',
    { viewBox: '0 0 24 24', width: '1em', height: '1em', fill: 'none', stroke: 'currentColor', strokeWidth: 1.5, 'aria-hidden': 'true' },
    h('circle', { cx: 8, cy: 15, r: 4 }),
    h('path', { d: 'M10.8 12.2 20 3m-3 3 2.5 2.5M14.5 8.5 17 11' }),
  );
}

function time(ms) {
  return ms ? new Date(ms).toLocaleTimeString() : 'unknown';
}

function Field({ id, label, ...input }) {
  return h('div', { className: 'tally-field' }, h('label', { htmlFor: id }, label), h('input', { id, ...input }));
}

function SignInForm() {
  const [busy, setBusy] = React.useState(false);
  const submit = async (event) => {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    setBusy(true);
    const signedIn = await T.tokens.signIn(String(form.get('username')).trim(), String(form.get('password')), String(form.get('otp') || '').trim());
    setBusy(false);
    if (signedIn) formElement.reset();
  };
  return h(
    'form',
    { className: 'tally-sign-in', onSubmit: submit, 'aria-label': 'Sign in' },
    h(Field, { id: 'tally-username', name: 'username', label: 'Username', autoComplete: 'username', required: true }),
    h(Field, { id: 'tally-password', name: 'password', label: 'Password', type: 'password', autoComplete: 'current-password', required: true }),
    h(Field, { id: 'tally-otp', name: 'otp', label: 'One-time code (only with two-factor sign-in)', inputMode: 'numeric', autoComplete: 'one-time-code' }),
    h('button', { type: 'submit', className: 'graphiql-button tally-primary', disabled: busy }, busy ? 'Signing in…' : 'Sign in'),
  );
}

function PasteToken() {
  const [text, setText] = React.useState('');
  const submit = (event) => {
    event.preventDefault();
    T.tokens.useAccessToken(text);
    setText('');
  };
  return h(
    'form',
    { className: 'tally-paste', onSubmit: submit, 'aria-label': 'Use an access token' },
    h('label', { htmlFor: 'tally-token' }, 'Or paste an access token (it is not renewed)'),
    h('textarea', { id: 'tally-token', rows: 3, value: text, onChange: (event) => setText(event.target.value), spellCheck: false }),
    h('button', { type: 'submit', className: 'graphiql-button', disabled: !text.trim() }, 'Use this token'),
  );
}

function SessionStatus({ session, socket }) {
  const who = session.username ? `Signed in as ${session.username}.` : 'Using a pasted access token.';
  const renewal = session.renewAt ? `Renewed automatically at ${time(session.renewAt)}.` : 'Not renewed: paste a new one or sign in when it expires.';
  const live = socket.state === 'connected' ? 'connected' : socket.detail ? `${socket.state} (${socket.detail})` : socket.state;
  return h(
    'div',
    { className: 'tally-session' },
    h('p', { 'data-testid': 'tally-signed-in' }, who),
    h('p', null, `Access token valid until ${time(session.expiresAt)}. ${renewal}`),
    h('p', null, `Live connection (subscriptions): ${live}.`),
    h('p', { className: 'tally-hint' }, 'Every tab sends this token; nothing goes in the Headers tab.'),
    h('button', { type: 'button', className: 'graphiql-button', onClick: () => T.tokens.signOut() }, 'Sign out'),
  );
}

function SignInPanel() {
  const { session, notice } = React.useSyncExternalStore(T.tokens.subscribe, T.tokens.snapshot);
  const socket = React.useSyncExternalStore(T.socket.subscribe, T.socket.snapshot);
  return h(
    'section',
    { className: 'tally-panel', 'aria-label': TITLE },
    h('div', { className: 'graphiql-doc-explorer-title' }, TITLE),
    notice ? h('p', { className: 'tally-notice', role: 'alert' }, notice) : null,
    session ? h(SessionStatus, { session, socket }) : h(SignInForm),
    h(PasteToken),
  );
}

T.signInPlugin = { title: TITLE, icon: KeyIcon, content: SignInPanel };
