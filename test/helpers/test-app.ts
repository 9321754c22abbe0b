import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../src/config.js';
import { startApp, type App } from '../../src/app.js';
import { addUser } from '../../src/auth/users.js';
import type { Channel, Role } from '../../src/ledger/types.js';
import { createLogger } from '../../src/logger.js';
import { LoginDocument, OpenAccountDocument, DepositDocument, type AccountType } from '../generated/graphql.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { REDIS_URL } from './services.js';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { dataOf, postGraphQL, type GraphQLResponse } from './graphql-client.js';
import { brokenLaws } from './laws.js';
import { disableRiskRule, listCurrentRules } from '../../src/ledger/risk/rule-store.js';
import { SYSTEM_USER_ID } from '../../src/ledger/system/system-actor.js';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';
export const TEST_ENCRYPTION_KEY = 'test-encryption-key-that-is-long-enough-0123456789';

export interface TestUser {
  readonly id: string;
  readonly username: string;
  readonly password: string;
  readonly token: string;
}

export interface TestApp {
  readonly app: App;
  readonly url: string;
  readonly database: TestDatabase;
  /** SQL statements the app ran since the last reset (only with `countQueries`). */
  readonly queries: string[];
  /** Posts a typed operation to this app, as the given user's token when there is one. */
  gql<Data, Variables>(document: TypedDocumentNode<Data, Variables>, variables: Variables, accessToken?: string): Promise<GraphQLResponse<Data>>;
  /** Provisions a user (a customer by default; a service with `channels`) and signs them in. */
  user(role?: Role, options?: { channels?: readonly Channel[] }): Promise<TestUser>;
  /**
   * The app's cash service (channels CASH and ATM), made on first use: how tests fund accounts, as
   * a bank does. Its token is renewed (a new sign-in) once half its lifetime has passed.
   */
  cashier(): Promise<TestUser>;
  /** Opens an account for the user and, when given, deposits an opening balance through the cashier (CASH). */
  account(user: TestUser, options?: { currency?: string; type?: AccountType; opening?: string }): Promise<string>;
  /**
   * Switches risk rules off as an operator would (disableRiskRule: a new version, enabled false),
   * for a file whose movements are not about risk (many quick withdrawals meet the velocity rule).
   * The risk step still runs on every movement; it just finds these rules off. All rules when none are named.
   */
  disableRiskRules(...ruleIds: string[]): Promise<void>;
  /** Stops the app, checks every ledger law in SQL, and drops the database. */
  close(): Promise<void>;
}

/** GROUP_COMMIT and its two knobs, as the test run was given them. */
function groupCommitEnvironment(): Record<string, string> {
  const names = ['GROUP_COMMIT', 'GROUP_COMMIT_WINDOW_MS', 'GROUP_COMMIT_MAX'] as const;
  return Object.fromEntries(names.flatMap((name) => (process.env[name] ? [[name, process.env[name]]] : [])));
}

/** `database`: a migrated or empty database elsewhere (a private cluster's) instead of a clone of the template. */
export async function startTestApp(options: { countQueries?: boolean; environment?: Record<string, string>; database?: TestDatabase } = {}): Promise<TestApp> {
  const database = options.database ?? (await createTestDatabase());
  const config = loadConfig({
    DATABASE_URL: database.url,
    JWT_SECRET: TEST_JWT_SECRET,
    ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    REDIS_URL,
    PORT: '0',
    DATABASE_POOL_SIZE: '20',
    NODE_ENV: 'test',
    // `GROUP_COMMIT=on npx vitest run …` runs a file's app with group commit (README "Speed"); a file's own environment wins.
    ...groupCommitEnvironment(),
    ...options.environment,
  });
  const queries: string[] = [];
  const app = await startApp(config, createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'), {
    // Each app counts its rate limits apart, so parallel files and repeated runs never share them.
    rateLimitKeyPrefix: `tally-test:${database.name}`,
    ...(options.countQueries ? { onQuery: (sql: string) => queries.push(sql) } : {}),
  });
  const url = app.url;
  let serial = 0;
  let cashier: Promise<{ user: TestUser; signedInAt: number }> | undefined;
  const signIn = async (username: string, password: string): Promise<string> => {
    const login = dataOf(await postGraphQL(url, LoginDocument, { username, password })).generateToken;
    if (login.__typename !== 'AuthTokens') throw new Error(`login failed: ${JSON.stringify(login)}`);
    return login.accessToken;
  };
  const testApp: TestApp = {
    app,
    url,
    database,
    queries,
    gql: (document, variables, token) => postGraphQL(url, document, variables, token),
    async user(role = 'CUSTOMER', { channels = [] } = {}) {
      serial += 1;
      const username = `user${serial}-${randomUUID().slice(0, 8)}`;
      const password = `password-${randomUUID()}`;
      const created = await addUser(app.orm, { username, password, role, channels, email: `${username}@example.test` });
      return { id: created.id, username, password, token: await signIn(username, password) };
    },
    async cashier() {
      cashier ??= testApp.user('SERVICE', { channels: ['CASH', 'ATM'] }).then((user) => ({ user, signedInAt: Date.now() }));
      const current = await cashier;
      if (Date.now() - current.signedInAt < (config.accessTokenTtlSeconds * 1000) / 2) return current.user;
      const renewed = { user: { ...current.user, token: await signIn(current.user.username, current.user.password) }, signedInAt: Date.now() };
      cashier = Promise.resolve(renewed);
      return renewed.user;
    },
    async account(user, { currency = 'USD', type = 'CHECKING', opening } = {}) {
      const opened = dataOf(
        await postGraphQL(url, OpenAccountDocument, { input: { type, currency, idempotencyKey: randomUUID() } }, user.token),
      ).openAccount;
      if (opened.__typename !== 'OpenAccountSuccess') throw new Error(`open failed: ${JSON.stringify(opened)}`);
      if (opening) {
        const deposited = dataOf(
          await postGraphQL(
            url,
            DepositDocument,
            { input: { accountId: opened.account.id, amount: opening, channel: 'CASH', idempotencyKey: randomUUID() } },
            (await testApp.cashier()).token,
          ),
        ).deposit;
        if (deposited.__typename !== 'MoneyMovement') throw new Error(`opening deposit failed: ${JSON.stringify(deposited)}`);
      }
      return opened.account.id;
    },
    async disableRiskRules(...ruleIds) {
      const database = app.orm.em.fork();
      const ids = ruleIds.length > 0 ? ruleIds : (await listCurrentRules(database)).map((rule) => rule.id);
      for (const id of ids) {
        const disabled = await disableRiskRule(database, id, SYSTEM_USER_ID, new Date());
        if (!('version' in disabled)) throw new Error(`risk rule ${id}: ${disabled.message}`);
      }
    },
    async close() {
      await app.close();
      const broken = await brokenLaws(database.pool);
      await database.drop();
      if (broken.length > 0) throw new Error(`ledger laws broken:\n${broken.join('\n')}`);
    },
  };
  return testApp;
}
