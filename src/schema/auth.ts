import type { IssuedTokens } from '../auth/login.js';
import { ACCESS_TOKEN_TTL_SECONDS } from '../auth/tokens.js';
import { resolveGenerateToken } from '../resolvers/auth.js';
import { builder } from './builder.js';
import { InvalidCredentialsError, ValidationError } from '../ledger/errors.js';
import './errors.js';

const AuthTokensType = builder.objectRef<IssuedTokens>('AuthTokens').implement({
  description: 'A session: a short-lived access token for requests and a refresh token to get the next one.',
  isTypeOf: (value) => typeof value === 'object' && value !== null && 'accessToken' in value,
  fields: (t) => ({
    accessToken: t.exposeString('accessToken', {
      description: `Send as "Authorization: Bearer <accessToken>". Valid for ${ACCESS_TOKEN_TTL_SECONDS / 60} minutes.`,
    }),
    accessTokenExpiresAt: t.field({ type: 'DateTime', description: 'When the access token stops working.', resolve: (tokens) => tokens.accessTokenExpiresAt }),
    refreshToken: t.exposeString('refreshToken', { description: 'Opaque; keep it secret. Stored by Tally only as a hash.' }),
    refreshTokenExpiresAt: t.field({ type: 'DateTime', description: 'When the refresh token stops working.', resolve: (tokens) => tokens.refreshTokenExpiresAt }),
    tokenType: t.exposeString('tokenType', { description: 'Always "Bearer".' }),
  }),
});

const GenerateTokenInput = builder.inputType('GenerateTokenInput', {
  description: 'Credentials of a provisioned user.',
  fields: (t) => ({
    username: t.string({ required: true, description: 'The username.' }),
    password: t.string({ required: true, description: 'The password.' }),
    otp: t.string({ required: false, description: 'A current TOTP code, once two-factor sign-in is enabled (arrives with 2FA).' }),
  }),
});

const GenerateTokenResult = builder.errorUnion('GenerateTokenResult', {
  description: 'AuthTokens, or why sign-in failed.',
  types: [AuthTokensType, InvalidCredentialsError, ValidationError],
});

builder.mutationField('generateToken', (t) =>
  t.field({
    type: GenerateTokenResult,
    description: 'Signs in with username and password and returns a token pair. Needs no access token.',
    args: { input: t.arg({ type: GenerateTokenInput, required: true }) },
    resolve: (_root, { input }, context) => resolveGenerateToken(context, input),
  }),
);
