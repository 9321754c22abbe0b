import { randomUUID } from 'node:crypto';
import type { GraphQLClient, GraphQLReply } from './graphql-client.js';

/**
 * The few operations the bench sends. Selections are minimal (an id, a code) so the numbers
 * measure the ledger's write path rather than response serialisation.
 */

const MOVEMENT_SELECTION = `__typename ... on MoneyMovement { replayed transaction { id } } ... on Error { code }`;

const DEPOSIT = `mutation BenchDeposit($input: DepositInput!) { deposit(input: $input) { ${MOVEMENT_SELECTION} } }`;
/** The fan-out scenario also needs the version the deposit gave the account, to time its delivery. */
const VERSIONED_DEPOSIT = `mutation BenchVersionedDeposit($input: DepositInput!) {
  deposit(input: $input) { __typename ... on MoneyMovement { replayed balances { accountId version } } ... on Error { code } }
}`;
const TRANSFER = `mutation BenchTransfer($input: TransferInput!) { transfer(input: $input) { ${MOVEMENT_SELECTION} } }`;
const LOGIN = `mutation BenchLogin($username: String!, $password: String!) {
  generateToken(input: { username: $username, password: $password }) {
    __typename ... on AuthTokens { accessToken accessTokenExpiresAt } ... on Error { code message }
  }
}`;
const OPEN_ACCOUNT = `mutation BenchOpenAccount($input: OpenAccountInput!) {
  openAccount(input: $input) { __typename ... on OpenAccountSuccess { account { id } } ... on Error { code message } }
}`;

/**
 * How one request ended, in the three buckets the report counts: one movement (ok, typed), or a
 * batch's many (bench/batch-scenario.ts): its committed items count as ok, each failed item as typed.
 */
export type MovementOutcome =
  | { readonly kind: 'ok' }
  | { readonly kind: 'typed'; readonly code: string }
  | { readonly kind: 'batch'; readonly committed: number; readonly typed: Readonly<Record<string, number>> }
  | { readonly kind: 'unexpected'; readonly reason: string };

function field(reply: GraphQLReply, name: string): Readonly<Record<string, unknown>> | undefined {
  const value = reply.data?.[name];
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}

function describeFailure(reply: GraphQLReply): string {
  const first = reply.errors[0];
  if (first) return `HTTP ${reply.status} ${first.code ?? 'GraphQL error'}: ${first.message}`;
  return `HTTP ${reply.status} without a result`;
}

/** How the mutation `name` ended; its success is the union member `successType`, which says `replayed`. */
export function movementOutcome(reply: GraphQLReply, name: string, successType = 'MoneyMovement'): MovementOutcome {
  const result = field(reply, name);
  if (reply.status !== 200 || reply.errors.length > 0 || !result) return { kind: 'unexpected', reason: describeFailure(reply) };
  if (result.__typename === successType) {
    // Every request carries a fresh key, so a replay would mean the server mixed up two requests.
    return result.replayed === false ? { kind: 'ok' } : { kind: 'unexpected', reason: 'replayed outcome for a fresh key' };
  }
  if (typeof result.code === 'string') return { kind: 'typed', code: result.code };
  return { kind: 'unexpected', reason: `unknown result ${String(result.__typename)}` };
}

export async function deposit(client: GraphQLClient, accessToken: string, accountId: string, amount: string): Promise<MovementOutcome> {
  const input = { accountId, amount, channel: 'CASH', idempotencyKey: randomUUID() };
  return movementOutcome(await client.post(DEPOSIT, { input }, accessToken), 'deposit');
}

/** A deposit's outcome and, when it succeeded, the account version it committed. */
export interface VersionedDeposit {
  readonly outcome: MovementOutcome;
  readonly version: number | null;
}

export async function versionedDeposit(client: GraphQLClient, accessToken: string, accountId: string, amount: string): Promise<VersionedDeposit> {
  const input = { accountId, amount, channel: 'CASH', idempotencyKey: randomUUID() };
  const reply = await client.post(VERSIONED_DEPOSIT, { input }, accessToken);
  const outcome = movementOutcome(reply, 'deposit');
  if (outcome.kind !== 'ok') return { outcome, version: null };
  const balances = field(reply, 'deposit')?.balances;
  const balance = Array.isArray(balances) ? (balances as unknown[]).find((item) => isBalanceOf(item, accountId)) : undefined;
  if (!balance) return { outcome: { kind: 'unexpected', reason: `no balance of ${accountId} in the deposit result` }, version: null };
  return { outcome, version: balance.version };
}

function isBalanceOf(item: unknown, accountId: string): item is { accountId: string; version: number } {
  return (
    typeof item === 'object' &&
    item !== null &&
    'accountId' in item &&
    item.accountId === accountId &&
    'version' in item &&
    typeof item.version === 'number'
  );
}

export async function transfer(
  client: GraphQLClient,
  accessToken: string,
  fromAccountId: string,
  toAccountId: string,
  amount: string,
): Promise<MovementOutcome> {
  const input = { fromAccountId, toAccountId, amount, idempotencyKey: randomUUID() };
  return movementOutcome(await client.post(TRANSFER, { input }, accessToken), 'transfer');
}

export interface AccessToken {
  readonly token: string;
  readonly expiresAtMs: number;
}

export async function login(client: GraphQLClient, username: string, password: string): Promise<AccessToken> {
  const reply = await client.post(LOGIN, { username, password });
  const result = field(reply, 'generateToken');
  if (result?.__typename !== 'AuthTokens' || typeof result.accessToken !== 'string' || typeof result.accessTokenExpiresAt !== 'string') {
    throw new Error(`login of ${username} failed: ${result ? JSON.stringify(result) : describeFailure(reply)}`);
  }
  return { token: result.accessToken, expiresAtMs: Date.parse(result.accessTokenExpiresAt) };
}

export async function openAccount(client: GraphQLClient, accessToken: string, currency: string): Promise<string> {
  const reply = await client.post(OPEN_ACCOUNT, { input: { type: 'CHECKING', currency, idempotencyKey: randomUUID() } }, accessToken);
  const result = field(reply, 'openAccount');
  const account = result?.account;
  if (result?.__typename !== 'OpenAccountSuccess' || typeof account !== 'object' || account === null || !('id' in account) || typeof account.id !== 'string') {
    throw new Error(`openAccount failed: ${result ? JSON.stringify(result) : describeFailure(reply)}`);
  }
  return account.id;
}
