import type { EntityManager } from '@mikro-orm/postgresql';
import { UserSchema } from '../entities/user.entity.js';
import { InvalidCredentialsError } from './errors.js';
import { LimitExceededError } from '../errors/shared-errors.js';
import { TypedError } from '../errors/typed-error.js';
import { recordAudit, type AuditAction, type AuditOrigin } from './audit.js';
import type { AuthServices } from './auth-services.js';
import { verifyPassword } from './passwords.js';
import { recordRefusal } from './refusal-audit.js';

/**
 * Step-up authentication for changes to how a user signs in (two-factor on or off, a new secret):
 * an access token alone is not enough, since a stolen one must not be able to lock the owner out.
 * The caller proves the password again, and every attempt counts against the user's step-up
 * allowance exactly as sign-in does: taken before anything is checked, so a parallel burst cannot
 * outrun its own failures; past it even the right password and code wait; only a step-up that
 * changed something clears it.
 */
export interface StepUpRequest {
  readonly userId: string;
  readonly password: string;
  readonly action: AuditAction;
  readonly origin: AuditOrigin;
}

/**
 * Runs `change` only for a caller within their allowance whose password is right. A wrong password
 * is INVALID_CREDENTIALS, audited; the change itself may still refuse (a wrong code, a wrong state)
 * with a business error, which keeps the attempt counted.
 */
export async function withStepUp<Result>(
  services: AuthServices,
  request: StepUpRequest,
  change: () => Promise<Result>,
): Promise<Result | InvalidCredentialsError | LimitExceededError> {
  const { userId, action, origin } = request;
  const em = services.orm.em.fork();
  const refusal = await services.limits.takeStepUpAttempt(userId);
  if (refusal) {
    await recordRefusal(em, services.limits, origin, refusal, { action, actorUserId: userId, target: userId });
    return new LimitExceededError(
      `Too many failed attempts to change two-factor sign-in; try again in ${refusal.retryAfterSeconds} seconds.`,
      refusal.retryAfterSeconds,
    );
  }
  if (!(await passwordMatches(em, userId, request.password))) {
    await recordAudit(em, origin, { action, outcome: 'DENIED', actorUserId: userId, target: userId, details: { reason: 'bad_password' } });
    return new InvalidCredentialsError('The password is wrong.');
  }
  const result = await change();
  if (!(result instanceof TypedError)) await services.limits.recordStepUpSuccess(userId);
  return result;
}

async function passwordMatches(em: EntityManager, userId: string, password: string): Promise<boolean> {
  const user = await em.findOne(UserSchema, { id: userId }, { fields: ['id', 'passwordHash'] });
  return verifyPassword(user?.passwordHash, password);
}
