import DataLoader from 'dataloader';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from './logger.js';
import type { TokenSigner } from './auth/tokens.js';
import type { AuthServices } from './auth/auth-services.js';
import type { LiveServices } from './pubsub/live-services.js';
import type { Actor } from './ledger/types.js';
import type { FeeSchedule } from './ledger/decide/wire-fee.js';
import type { AvailabilityPolicy } from './ledger/decide/availability-policy.js';
import type { RiskCheck } from './ledger/risk/judge-movement.js';
import type { DisputePolicy } from './ledger/disputes/dispute-policy.js';
import type { ReconciliationPolicy } from './ledger/reconciliation/reconciliation-policy.js';
import { accountIdsOwnedBy } from './ledger/queries/accounts.js';
import { serviceActor } from './auth/service-actor.js';
import { entriesOfTransactions, transactionsByIds, type EntryView, type TransactionView } from './ledger/queries/transactions.js';
import { availabilityHoldsOf } from './ledger/queries/deposit-holds.js';
import type { Database } from './db/sql.js';
import { captureIdsOfHolds } from './ledger/queries/holds.js';
import { historyPages, type HistoryAccount, type HistoryPage, type HistoryPageRequest } from './ledger/queries/history.js';
import type { ReplicaSet } from './db/replicas/replica-set.js';

/** What every resolver gets, built once per HTTP request (and later per WebSocket operation). */
export interface Context {
  readonly requestId: string;
  readonly orm: MikroORM;
  readonly signer: TokenSigner;
  readonly logger: Logger;
  readonly auth: AuthServices;
  readonly live: LiveServices;
  /** The bank's fees, from configuration (WIRE_FEE). */
  readonly fees: FeeSchedule;
  /** When deposited funds become available (AVAILABILITY_*, BANK_*). */
  readonly availability: AvailabilityPolicy;
  /** The risk step's settings for movements; undefined when RISK_RULES=off. */
  readonly risk: RiskCheck | undefined;
  /** Regulation E's dispute timelines (DISPUTE_*). */
  readonly disputes: DisputePolicy;
  /** Matching strategies and the break SLA (RECONCILIATION_*). */
  readonly reconciliation: ReconciliationPolicy;
  /** The caller's address as Express sees it (configure a trusted proxy to see through one). */
  readonly clientIp: string;
  /** The authenticated caller, or undefined. */
  readonly viewer: Actor | undefined;
  /** Set when a token was sent but refused: such a request is never treated as anonymous. */
  readonly authenticationProblem: string | undefined;
  /** A read-only unit of work for this request's queries, on the primary. */
  readonly database: Database;
  /**
   * The unit of work for reads that may lag a little (history, statements, reports, CACHED
   * balances): a streaming replica that has the caller's own last movement, else `database`
   * (README "Read replicas"). Chosen once per request, at the first call. Never for a money
   * decision, a command or a STRONG read.
   */
  followerDatabase(): Promise<Database>;
  readonly loaders: Loaders;
}

export interface Loaders {
  /** Batches every transaction a response needs into one query. */
  readonly transactions: DataLoader<string, TransactionView | undefined>;
  /** Batches the entries of every transaction in a response into one query (no N+1). */
  readonly entries: DataLoader<string, EntryView[]>;
  /** Batches the availability holds of every deposit in a response into one query. */
  readonly availabilityHolds: DataLoader<string, Array<{ amountMinor: bigint; releaseAt: Date; active: boolean }>>;
  /** Batches the capture transaction ids of every hold in a response into one query (a page of holds is no N+1). */
  readonly holdCaptures: DataLoader<string, string[]>;
  /** The viewer's account ids, read once per request. */
  ownedAccountIds(): Promise<Set<string>>;
  /**
   * One account's history page; the pages of every account a response lists with the same
   * arguments are read in one query (`accounts { transactions(first: n) }` is one query, not one
   * per account, so one request never holds a pooled connection per account).
   */
  historyPage(account: HistoryAccount, request: HistoryPageRequest): Promise<HistoryPage>;
}

export interface ContextServices {
  readonly orm: MikroORM;
  readonly signer: TokenSigner;
  readonly logger: Logger;
  readonly auth: AuthServices;
  readonly live: LiveServices;
  readonly fees: FeeSchedule;
  readonly availability: AvailabilityPolicy;
  readonly risk: RiskCheck | undefined;
  readonly disputes: DisputePolicy;
  readonly reconciliation: ReconciliationPolicy;
  /** DATABASE_REPLICA_URLS' replicas; undefined when none are configured. */
  readonly replicas?: ReplicaSet;
}

/**
 * `Authorization: Bearer <token>`. The scheme name is case-insensitive (RFC 7235 §2.1, RFC 6750
 * §2.1), so `bearer` and `BEARER` work too.
 */
const BEARER_CREDENTIALS = /^Bearer +([A-Za-z0-9._~+/=-]+)$/i;

/** Reads `Authorization: Bearer <token>`; a malformed or invalid token is remembered, not ignored. */
export async function authenticate(
  signer: TokenSigner,
  authorization: string | undefined,
): Promise<{ viewer?: Actor; expiresAt?: Date; problem?: string }> {
  if (!authorization) return {};
  const match = BEARER_CREDENTIALS.exec(authorization);
  if (!match) return { problem: 'The Authorization header must be "Bearer <accessToken>".' };
  const claims = await signer.verifyAccessToken(match[1]!);
  if (!claims) return { problem: 'The access token is invalid or has expired.' };
  return { viewer: { userId: claims.userId, role: claims.role }, expiresAt: claims.expiresAt };
}

/** `history` is where history pages are read (a replica may serve them); the other loaders read `database`. */
export function createLoaders(database: Database, viewer: Actor | undefined, history: () => Promise<Database> = async () => database): Loaders {
  let owned: Promise<Set<string>> | undefined;
  const pagesByRequest = new Map<string, DataLoader<HistoryAccount, HistoryPage, string>>();
  return {
    transactions: new DataLoader(async (ids) => {
      const found = await transactionsByIds(database, ids);
      return ids.map((id) => found.get(id));
    }),
    entries: new DataLoader(async (ids) => {
      const found = await entriesOfTransactions(database, ids);
      return ids.map((id) => found.get(id) ?? []);
    }),
    availabilityHolds: new DataLoader(async (ids) => {
      const found = await availabilityHoldsOf(database, ids);
      return ids.map((id) => found.get(id) ?? []);
    }),
    // Batched but not cached: a capture later in the same request (two aliased mutations) adds one.
    holdCaptures: new DataLoader(
      async (holdIds) => {
        const found = await captureIdsOfHolds(database, holdIds);
        return holdIds.map((id) => found.get(id) ?? []);
      },
      { cache: false },
    ),
    ownedAccountIds() {
      owned ??= viewer ? accountIdsOwnedBy(database, viewer.userId) : Promise.resolve(new Set());
      return owned;
    },
    historyPage(account, request) {
      const key = JSON.stringify([request.first, request.last, request.after, request.before, request.filter]);
      let pages = pagesByRequest.get(key);
      if (!pages) {
        pages = new DataLoader(
          async (accounts) => {
            const found = await historyPages(await history(), accounts, request);
            return accounts.map((one) => found.get(one.id) ?? new Error(`history of ${one.id} was not read`));
          },
          { cacheKeyFn: (one) => one.id },
        );
        pagesByRequest.set(key, pages);
      }
      return pages.load(account);
    },
  };
}

export async function createContext(
  services: ContextServices,
  requestId: string,
  clientIp: string,
  authorization: string | undefined,
): Promise<Context> {
  const authenticated = await authenticate(services.signer, authorization);
  const { problem } = authenticated;
  const database = services.orm.em.fork() as Database;
  // A service's channels come from its row on every request (auth/service-actor.ts), never from the token.
  const caller = authenticated.viewer?.role === 'SERVICE' ? await serviceActor(database, authenticated.viewer) : authenticated.viewer;
  // The journal records the request beside every change the caller's commands make.
  const viewer = caller ? { ...caller, requestId } : undefined;
  let follower: Promise<Database> | undefined;
  const followerDatabase = (): Promise<Database> => (follower ??= services.replicas ? services.replicas.readDatabase(viewer?.userId, () => database) : Promise.resolve(database));
  return {
    ...services,
    requestId,
    clientIp,
    viewer,
    authenticationProblem: problem,
    database,
    followerDatabase,
    loaders: createLoaders(database, viewer, followerDatabase),
  };
}
