import { generateSecret, generateURI, verify } from 'otplib';
import { LockMode, type EntityManager } from '@mikro-orm/postgresql';
import { UserSchema } from '../entities/user.entity.js';
import { InvalidCredentialsError } from './errors.js';
import { LimitExceededError, ValidationError } from '../errors/shared-errors.js';
import { runStatement } from '../db/sql.js';
import { recordAudit, type AuditOrigin } from './audit.js';
import type { AuthServices } from './auth-services.js';
import { withStepUp } from './step-up.js';

/**
 * TOTP two-factor sign-in (RFC 6238): 30-second steps, six digits, one step of clock skew either
 * way, and every code accepted at most once (the last used step is kept per user). Every change
 * needs the password again and counts against the user's step-up allowance (step-up.ts).
 */
const ISSUER = 'Tally';
/** ±1 step of 30 s: a phone whose clock is a little off still works, an old code does not. */
const EPOCH_TOLERANCE_SECONDS = 30;
const CODE_SHAPE = /^\d{6}$/;

export interface TwoFactorEnrollment {
  readonly secret: string;
  readonly otpauthUri: string;
}

/** What proves the caller for a two-factor change: their password, and for confirm/disable a code. */
export interface TwoFactorProof {
  readonly password: string;
  readonly code?: string;
}

/**
 * Accepts `code` for the sealed secret at most once: the step is claimed with a conditional
 * UPDATE, so two requests with the same code cannot both pass.
 */
export async function consumeCode(
  em: EntityManager,
  services: AuthServices,
  user: { id: string; totpSecretEncrypted?: string | null; totpLastTimeStep?: number | null },
  code: string | null | undefined,
): Promise<boolean> {
  if (!code || !CODE_SHAPE.test(code) || !user.totpSecretEncrypted) return false;
  const secret = services.secretBox.open(user.totpSecretEncrypted);
  let timeStep: number;
  try {
    const result = await verify({
      secret,
      token: code,
      epochTolerance: EPOCH_TOLERANCE_SECONDS,
      ...(user.totpLastTimeStep != null ? { afterTimeStep: user.totpLastTimeStep } : {}),
    });
    // The TOTP strategy reports the matched step; the HOTP half of otplib's union never does.
    if (!result.valid || !('timeStep' in result)) return false;
    timeStep = result.timeStep;
  } catch {
    return false;
  }
  const claimed = await runStatement(
    em,
    `update users set totp_last_time_step = ? where id = ? and (totp_last_time_step is null or totp_last_time_step < ?)`,
    [timeStep, user.id, timeStep],
  );
  return claimed === 1;
}

/**
 * The user's row, locked FOR UPDATE until the transaction ends, so concurrent changes of one
 * user's two-factor state queue instead of overwriting each other. The named mode matters: the
 * number 4 is PESSIMISTIC_PARTIAL_WRITE (SKIP LOCKED), which made a queued request find no row.
 */
function lockUser(em: EntityManager, userId: string) {
  return em.findOneOrFail(UserSchema, { id: userId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
}

/** Starts enrolment: a new secret, sealed at rest, not yet required at sign-in. */
export function enrollTwoFactor(
  services: AuthServices,
  userId: string,
  proof: TwoFactorProof,
  origin: AuditOrigin,
): Promise<TwoFactorEnrollment | ValidationError | InvalidCredentialsError | LimitExceededError> {
  return withStepUp(services, { userId, password: proof.password, action: 'two_factor.enroll', origin }, () =>
    services.orm.em.fork().transactional(async (em) => {
      const user = await lockUser(em, userId);
      if (user.totpEnabledAt) return new ValidationError('Two-factor sign-in is already on; disable it first to enrol a new device.', 'otp');
      const secret = generateSecret();
      user.totpSecretEncrypted = services.secretBox.seal(secret);
      user.totpLastTimeStep = null;
      await em.flush();
      await recordAudit(em, origin, { action: 'two_factor.enroll', outcome: 'OK', actorUserId: userId, target: userId });
      return { secret, otpauthUri: generateURI({ issuer: ISSUER, label: user.username, secret }) };
    }),
  );
}

type TwoFactorChange = 'two_factor.enable' | 'two_factor.disable';

/**
 * Turns two-factor sign-in on or off under the user's row lock, only with the password and a fresh
 * code of the enrolled secret; both outcomes are audited.
 */
function changeTwoFactor(
  services: AuthServices,
  userId: string,
  proof: TwoFactorProof,
  origin: AuditOrigin,
  action: TwoFactorChange,
): Promise<true | InvalidCredentialsError | ValidationError | LimitExceededError> {
  const enabling = action === 'two_factor.enable';
  return withStepUp(services, { userId, password: proof.password, action, origin }, () =>
    services.orm.em.fork().transactional(async (em) => {
      const user = await lockUser(em, userId);
      if (enabling && user.totpEnabledAt) return new ValidationError('Two-factor sign-in is already on.', 'otp');
      if (enabling && !user.totpSecretEncrypted) return new ValidationError('Enrol first (enrollTwoFactor), then confirm with a code.', 'otp');
      if (!enabling && !user.totpEnabledAt) return new ValidationError('Two-factor sign-in is not on.', 'otp');
      if (!(await consumeCode(em, services, user, proof.code))) {
        await recordAudit(em, origin, { action, outcome: 'DENIED', actorUserId: userId, target: userId, details: { reason: 'bad_otp' } });
        return new InvalidCredentialsError('The one-time code is wrong, expired or already used.');
      }
      await runStatement(
        em,
        enabling ? `update users set totp_enabled_at = now() where id = ?` : `update users set totp_enabled_at = null, totp_secret_encrypted = null where id = ?`,
        [userId],
      );
      await recordAudit(em, origin, { action, outcome: 'OK', actorUserId: userId, target: userId });
      return true as const;
    }),
  );
}

/** Confirms enrolment with the password and a first code; from then on sign-in needs a code. */
export function confirmTwoFactor(services: AuthServices, userId: string, proof: TwoFactorProof, origin: AuditOrigin) {
  return changeTwoFactor(services, userId, proof, origin, 'two_factor.enable');
}

/** Turns two-factor sign-in off; needs the password and a current code, so a stolen access token alone cannot. */
export function disableTwoFactor(services: AuthServices, userId: string, proof: TwoFactorProof, origin: AuditOrigin) {
  return changeTwoFactor(services, userId, proof, origin, 'two_factor.disable');
}
