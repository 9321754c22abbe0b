import type { IssuedTokens } from '../auth/login.js';
import { ACCESS_TOKEN_TTL_SECONDS, REFRESH_TOKEN_TTL_SECONDS } from '../auth/tokens.js';
import type { TwoFactorEnrollment } from '../auth/two-factor.js';
import { InvalidCredentialsError } from '../auth/errors.js';
import { LimitExceededError, ValidationError } from '../errors/shared-errors.js';
import {
  resolveConfirmTwoFactor,
  resolveDisableTwoFactor,
  resolveEnrollTwoFactor,
  resolveGenerateToken,
  resolveRefreshToken,
  resolveRevokeToken,
} from '../resolvers/auth.js';
import { builder } from './builder.js';
import './errors.js';

const AuthTokensType = builder.objectRef<IssuedTokens>('AuthTokens').implement({
  description: 'A session: a short-lived access token for requests and a refresh token to get the next pair.',
  isTypeOf: (value) => typeof value === 'object' && value !== null && 'accessToken' in value,
  fields: (t) => ({
    accessToken: t.exposeString('accessToken', {
      description: `Send as "Authorization: Bearer <accessToken>". Valid for ${ACCESS_TOKEN_TTL_SECONDS / 60} minutes (ACCESS_TOKEN_TTL_SECONDS).`,
    }),
    accessTokenExpiresAt: t.field({ type: 'DateTime', description: 'When the access token stops working.', resolve: (tokens) => tokens.accessTokenExpiresAt }),
    refreshToken: t.exposeString('refreshToken', {
      description: `Opaque; keep it secret. Use it once with refreshToken (it rotates); valid ${REFRESH_TOKEN_TTL_SECONDS / 86_400} days. Stored by Tally only as a hash.`,
    }),
    refreshTokenExpiresAt: t.field({ type: 'DateTime', description: 'When the refresh token stops working.', resolve: (tokens) => tokens.refreshTokenExpiresAt }),
    tokenType: t.exposeString('tokenType', { description: 'Always "Bearer".' }),
  }),
});

const GenerateTokenInput = builder.inputType('GenerateTokenInput', {
  description: 'Credentials of a provisioned user.',
  fields: (t) => ({
    username: t.string({ required: true, description: 'The username.' }),
    password: t.string({ required: true, description: 'The password.' }),
    otp: t.string({ required: false, description: 'The current six-digit code of your authenticator app, once two-factor sign-in is on.' }),
  }),
});

const SIGN_IN_ERRORS = [InvalidCredentialsError, LimitExceededError] as const;

builder.mutationField('generateToken', (t) =>
  t.field({
    type: builder.errorUnion('GenerateTokenResult', { description: 'AuthTokens, or why sign-in failed.', types: [AuthTokensType, ...SIGN_IN_ERRORS] }),
    description:
      'Signs in with username, password and (when two-factor is on) a one-time code; returns a token pair. Needs no access token. ' +
      'Failed attempts are limited per username and per address, successful ones (new sessions) per user.',
    skipTypeScopes: true,
    args: { input: t.arg({ type: GenerateTokenInput, required: true }) },
    resolve: (_root, { input }, context) => resolveGenerateToken(context, input),
  }),
);

builder.mutationField('refreshToken', (t) =>
  t.field({
    type: builder.errorUnion('RefreshTokenResult', { description: 'A new AuthTokens pair, or why not.', types: [AuthTokensType, ...SIGN_IN_ERRORS] }),
    description:
      'Trades a refresh token for a new pair and retires it. Presenting a retired token again revokes its whole session ' +
      '(every token rotated from the same sign-in), since it means the token leaked.',
    skipTypeScopes: true,
    args: { refreshToken: t.arg.string({ required: true, description: 'The refresh token of your current pair.' }) },
    resolve: (_root, args, context) => resolveRefreshToken(context, args.refreshToken),
  }),
);

builder.mutationField('revokeToken', (t) =>
  t.boolean({
    description: 'Signs out: revokes the session the refresh token belongs to. True when the token was known.',
    skipTypeScopes: true,
    args: { refreshToken: t.arg.string({ required: true, description: 'A refresh token of the session to end.' }) },
    resolve: (_root, args, context) => resolveRevokeToken(context, args.refreshToken),
  }),
);

const TwoFactorEnrollmentType = builder.objectRef<TwoFactorEnrollment>('TwoFactorEnrollment').implement({
  description: 'A new TOTP secret: add it to an authenticator app, then call confirmTwoFactor with a code.',
  isTypeOf: (value) => typeof value === 'object' && value !== null && 'otpauthUri' in value,
  fields: (t) => ({
    secret: t.exposeString('secret', { description: 'The base32 secret, for typing into an app by hand.' }),
    otpauthUri: t.exposeString('otpauthUri', { description: 'otpauth://totp/… URI, for a QR code.' }),
  }),
});

const TwoFactorStatusType = builder.objectRef<{ enabled: boolean }>('TwoFactorStatus').implement({
  description: 'Whether sign-in now needs a one-time code.',
  isTypeOf: (value) => typeof value === 'object' && value !== null && 'enabled' in value,
  fields: (t) => ({ enabled: t.exposeBoolean('enabled', { description: 'True when generateToken needs `otp`.' }) }),
});

const otpArgument = 'The current six-digit code of your authenticator app; each code works once.';
const passwordArgument =
  'Your password again (step-up): an access token alone cannot change how you sign in. A wrong one is INVALID_CREDENTIALS and counts as a failed attempt.';
/** Every two-factor change is a step-up: limited per user like sign-in, so it can be LIMIT_EXCEEDED. */
const STEP_UP_ERRORS = [InvalidCredentialsError, ValidationError, LimitExceededError] as const;
const stepUpLimitNote =
  'Failed attempts (wrong password or code) are limited per user like sign-in; past the limit even the right ones wait (LIMIT_EXCEEDED with retryAfterSeconds).';

builder.mutationField('enrollTwoFactor', (t) =>
  t.field({
    type: builder.errorUnion('EnrollTwoFactorResult', { description: 'The new secret, or why not.', types: [TwoFactorEnrollmentType, ...STEP_UP_ERRORS] }),
    description: `Starts two-factor enrolment with a new secret (stored encrypted); needs your password. Nothing changes at sign-in until confirmed. ${stepUpLimitNote}`,
    args: { password: t.arg.string({ required: true, description: passwordArgument }) },
    resolve: (_root, args, context) => resolveEnrollTwoFactor(context, { password: args.password }),
  }),
);

builder.mutationField('confirmTwoFactor', (t) =>
  t.field({
    type: builder.errorUnion('ConfirmTwoFactorResult', {
      description: 'The new status, or why not.',
      types: [TwoFactorStatusType, ...STEP_UP_ERRORS],
    }),
    description: `Turns two-factor sign-in on with your password and a first code from the enrolled app. ${stepUpLimitNote}`,
    args: {
      password: t.arg.string({ required: true, description: passwordArgument }),
      otp: t.arg.string({ required: true, description: otpArgument }),
    },
    resolve: (_root, args, context) => resolveConfirmTwoFactor(context, { password: args.password, code: args.otp }),
  }),
);

builder.mutationField('disableTwoFactor', (t) =>
  t.field({
    type: builder.errorUnion('DisableTwoFactorResult', {
      description: 'The new status, or why not.',
      types: [TwoFactorStatusType, ...STEP_UP_ERRORS],
    }),
    description: `Turns two-factor sign-in off; needs your password and a current code, so a stolen access token alone cannot. ${stepUpLimitNote}`,
    args: {
      password: t.arg.string({ required: true, description: passwordArgument }),
      otp: t.arg.string({ required: true, description: otpArgument }),
    },
    resolve: (_root, args, context) => resolveDisableTwoFactor(context, { password: args.password, code: args.otp }),
  }),
);
