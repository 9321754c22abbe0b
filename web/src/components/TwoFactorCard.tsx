import { useEffect, useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import QRCode from 'qrcode';
import { ConfirmTwoFactorDocument, EnrollTwoFactorDocument, SecuritySettingsDocument } from '../generated/graphql';
import { describeFailure, NO_ANSWER, type ApiFailure } from '../failures';

/** The API's InvalidCredentialsError for a code (src/auth/two-factor.ts), as opposed to the password. */
const ABOUT_THE_CODE = /one-time code/i;
const WRONG_PASSWORD = 'That password is not right.';
const WRONG_CODE = 'That code did not work. Codes change every 30 seconds and each works once: enter the one your app shows now.';

interface Enrolment {
  readonly otpauthUri: string;
  readonly secret: string;
}

function sentenceFor(failure: ApiFailure): string {
  if (failure.code === 'INVALID_CREDENTIALS') return ABOUT_THE_CODE.test(failure.message ?? '') ? WRONG_CODE : WRONG_PASSWORD;
  return describeFailure(failure, { VALIDATION: 'Two-factor sign-in could not be turned on from here. Reload the page and try again.' });
}

/** The otpauth:// URI as an SVG QR code (a data: image, which the page's CSP allows; no script, no canvas). */
function useQrCode(uri: string): string | undefined {
  const [image, setImage] = useState<string>();
  useEffect(() => {
    let current = true;
    void QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }).then((svg) => current && setImage(`data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`));
    return () => {
      current = false;
    };
  }, [uri]);
  return image;
}

/** Step two: the QR code (and the key to type, and a link for an app on this device), then the first code. */
function ConfirmStep({ enrolment, password, onDone }: { enrolment: Enrolment; password: string; onDone: () => void }) {
  const qr = useQrCode(enrolment.otpauthUri);
  const [otp, setOtp] = useState('');
  const [problem, setProblem] = useState<string>();
  const [{ fetching }, confirm] = useMutation(ConfirmTwoFactorDocument);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!/^\d{6}$/.test(otp.trim())) return setProblem('Enter the six digits your app shows.');
    const answer = (await confirm({ password, otp: otp.trim() })).data?.confirmTwoFactor;
    if (!answer) return setProblem(NO_ANSWER);
    if (answer.__typename === 'TwoFactorStatus' && answer.enabled) return onDone();
    setOtp('');
    setProblem(answer.__typename === 'TwoFactorStatus' ? NO_ANSWER : sentenceFor(answer));
  }

  return (
    <form onSubmit={(event) => void submit(event)} noValidate>
      <p>Scan this code with your authenticator app (Google Authenticator, 1Password, Authy…):</p>
      {qr && <img className="qr" src={qr} width={200} height={200} alt="QR code that adds Tally to your authenticator app" data-testid="two-factor-qr" />}
      <p className="hint">
        On this phone? <a href={enrolment.otpauthUri}>Open it in your authenticator app</a>. Or type this key into the app:{' '}
        <code className="secret" data-testid="two-factor-secret">
          {enrolment.secret.replace(/(.{4})(?=.)/g, '$1 ')}
        </code>
      </p>
      <label htmlFor="two-factor-code">The six-digit code your app shows</label>
      <input id="two-factor-code" autoFocus inputMode="numeric" autoComplete="one-time-code" maxLength={6} value={otp} onChange={(event) => setOtp(event.target.value)} />
      <div role="status" aria-live="polite">
        {problem && <p className="problem">{problem}</p>}
      </div>
      <button type="submit" disabled={fetching}>
        {fetching ? 'Checking…' : 'Turn on two-factor sign-in'}
      </button>
    </form>
  );
}

/**
 * Two-factor sign-in: whether it is on, and turning it on. The password is asked again (the API's
 * step-up) and kept only in this form's memory until the first code confirms the app; the secret
 * is shown as a QR code of the API's otpauth:// URI, and as text for typing by hand.
 */
export function TwoFactorCard() {
  const [{ data }, reread] = useQuery({ query: SecuritySettingsDocument, requestPolicy: 'network-only' });
  const [password, setPassword] = useState('');
  const [enrolment, setEnrolment] = useState<Enrolment>();
  const [problem, setProblem] = useState<string>();
  const [justEnabled, setJustEnabled] = useState(false);
  const [{ fetching }, enroll] = useMutation(EnrollTwoFactorDocument);

  async function start(event: FormEvent) {
    event.preventDefault();
    if (!password) return setProblem('Enter your password.');
    const answer = (await enroll({ password })).data?.enrollTwoFactor;
    if (!answer) return setProblem(NO_ANSWER);
    if (answer.__typename === 'TwoFactorEnrollment') {
      setProblem(undefined);
      setEnrolment({ otpauthUri: answer.otpauthUri, secret: answer.secret });
    } else setProblem(sentenceFor(answer));
  }

  function done() {
    setEnrolment(undefined);
    setPassword('');
    setJustEnabled(true);
    reread({ requestPolicy: 'network-only' });
  }

  const enabled = justEnabled || data?.me.twoFactorEnabled;
  return (
    <section className="card" aria-labelledby="two-factor-title">
      <h2 id="two-factor-title">Two-factor sign-in</h2>
      {data === undefined ? null : enabled ? (
        <p role="status" className={justEnabled ? 'success' : undefined}>
          {justEnabled ? 'Two-factor sign-in is on. ' : 'On. '}Each sign-in asks for the code your authenticator app shows.
        </p>
      ) : enrolment ? (
        <ConfirmStep enrolment={enrolment} password={password} onDone={done} />
      ) : (
        <form onSubmit={(event) => void start(event)} noValidate>
          <p>Off. With it on, signing in also needs a code from an app on your phone, so a stolen password is not enough.</p>
          <label htmlFor="two-factor-password">Your password, to turn it on</label>
          <input id="two-factor-password" type="password" autoComplete="current-password" value={password} onChange={(event) => setPassword(event.target.value)} />
          <div role="status" aria-live="polite">
            {problem && <p className="problem">{problem}</p>}
          </div>
          <button type="submit" disabled={fetching}>
            {fetching ? 'Checking…' : 'Set up two-factor sign-in'}
          </button>
        </form>
      )}
    </section>
  );
}
