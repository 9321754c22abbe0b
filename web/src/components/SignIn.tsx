import { useState, type FormEvent } from 'react';
import { describeFailure, NO_ANSWER } from '../failures';
import type { Session } from '../session';

/** The API's answer when the password is right and a one-time code is needed (src/auth/login.ts). */
const NEEDS_CODE = /one-time code/i;

/** Username and password; then, when the API asks for it, the authenticator app's code. */
export function SignIn({ session }: { session: Session }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [otp, setOtp] = useState('');
  const [askCode, setAskCode] = useState(false);
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setProblem(undefined);
    try {
      const outcome = await session.signIn(username.trim(), password, askCode ? otp.trim() : undefined);
      if (outcome.__typename === 'SignedIn') return;
      if (outcome.__typename === 'InvalidCredentialsError' && NEEDS_CODE.test(outcome.message)) {
        if (askCode) setProblem('That code did not work. Codes change every 30 seconds and each works once: enter the current one.');
        setAskCode(true);
        setOtp('');
        return;
      }
      setProblem(describeFailure(outcome));
    } catch {
      setProblem(NO_ANSWER);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card narrow" onSubmit={(event) => void submit(event)} aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in</h1>
      <label htmlFor="username">Username</label>
      <input id="username" name="username" autoComplete="username" required value={username} onChange={(event) => setUsername(event.target.value)} disabled={askCode} />
      <label htmlFor="password">Password</label>
      <input id="password" name="password" type="password" autoComplete="current-password" required value={password} onChange={(event) => setPassword(event.target.value)} disabled={askCode} />
      {askCode && (
        <>
          <label htmlFor="otp">Code from your authenticator app</label>
          <input id="otp" name="otp" inputMode="numeric" autoComplete="one-time-code" pattern="\d{6}" required autoFocus value={otp} onChange={(event) => setOtp(event.target.value)} aria-describedby="otp-help" />
          <p id="otp-help" className="hint">Two-factor sign-in is on for you: enter the six-digit code your app shows now.</p>
        </>
      )}
      {problem && (
        <p role="alert" className="problem">
          {problem}
        </p>
      )}
      <button type="submit" disabled={busy}>
        {busy ? 'Signing in…' : askCode ? 'Confirm code' : 'Sign in'}
      </button>
    </form>
  );
}
