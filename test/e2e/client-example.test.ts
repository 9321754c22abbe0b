import { spawn } from 'node:child_process';
import { cpSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPOSITORY_ROOT } from '../helpers/server-process.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { DepositDocument } from '../generated/graphql.js';
import { dataOf } from '../helpers/graphql-client.js';
import { randomUUID } from 'node:crypto';
import { addUser } from '../../src/auth/users.js';

/**
 * The README's "Building an app on Tally", done as an app would: examples/client is copied into a
 * directory of its own with Tally's schema.graphql, its codegen.ts (the one the README shows)
 * generates typed operations offline, the result type-checks, and its browser code (session with
 * token refresh, live balance over graphql-ws) runs against a real server.
 */

const EXAMPLE = join(REPOSITORY_ROOT, 'examples', 'client');
const BIN = join(REPOSITORY_ROOT, 'node_modules', '.bin');

function run(command: string, args: readonly string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, [...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

/** The ```ts blocks of the README's "Building an app on Tally" section. */
function readmeTypeScriptBlocks(): string[] {
  const readme = readFileSync(join(REPOSITORY_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('## Building an app on Tally');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);
}

/** What the test uses of examples/client/src/session.ts and live-balance.ts (type-checked above in the app). */
interface ExampleSession {
  currentToken(): Promise<string>;
}
interface SessionModule {
  readonly Session: { signIn(url: string, username: string, password: string): Promise<ExampleSession> };
}
interface LiveBalanceModule {
  watchBalance(
    url: string,
    session: ExampleSession,
    accountId: string,
    onUpdate: (update: { version: number; balance: { posted: string } }) => void,
    options: { webSocketImpl: unknown },
  ): () => void;
}

describe('building an app on Tally (examples/client, as the README tells it)', () => {
  let app: string;

  beforeAll(async () => {
    app = await mkdtemp(join(tmpdir(), 'tally-client-app-'));
    cpSync(EXAMPLE, app, { recursive: true });
    cpSync(join(REPOSITORY_ROOT, 'schema.graphql'), join(app, 'schema.graphql'));
    // The app's own node_modules would hold the same packages; these are the pinned ones.
    symlinkSync(join(REPOSITORY_ROOT, 'node_modules'), join(app, 'node_modules'), 'dir');
    const codegen = await run(join(BIN, 'graphql-codegen'), ['--config', 'codegen.ts'], app);
    if (codegen.code !== 0) throw new Error(`codegen failed:\n${codegen.output}`);
  }, 120_000);

  afterAll(async () => {
    await rm(app, { recursive: true, force: true });
  });

  it('shows in the README exactly the example codegen.ts, session.ts and live-balance.ts', () => {
    const blocks = readmeTypeScriptBlocks();
    for (const file of ['codegen.ts', 'src/session.ts', 'src/live-balance.ts']) {
      expect(blocks, `README shows ${file} as it is`).toContain(readFileSync(join(EXAMPLE, file), 'utf8'));
    }
  });

  it('generates typed operations offline that type-check, with money typed as a string', { timeout: 120_000 }, async () => {
    writeFileSync(
      join(app, 'src', 'money-is-a-string.ts'),
      `import type { ResultOf } from '@graphql-typed-document-node/core';
import type { Balances } from './operations';
type Posted = ResultOf<typeof Balances>['accounts'][number]['balance']['posted'];
export const right: Posted = '125.50';
// @ts-expect-error Decimal is a string in the generated types, never a number.
export const wrong: Posted = 125.5;
`,
    );
    const typecheck = await run(join(BIN, 'tsc'), ['-p', 'tsconfig.json'], app);
    expect(typecheck.code, typecheck.output).toBe(0);
  });

  describe('against a running server whose access tokens live 5 seconds', () => {
    let tally: TestApp;
    beforeAll(async () => {
      tally = await startTestApp({ environment: { ACCESS_TOKEN_TTL_SECONDS: '5' } });
    });
    afterAll(async () => {
      await tally?.close();
    });

    it('streams every version once, in order, across the 4401 at token expiry (refresh, then resume)', { timeout: 90_000 }, async () => {
      // Loaded from the app's directory, where its generated src/gql lives (the repository has none).
      const { Session } = (await import(join(app, 'src', 'session.ts'))) as SessionModule;
      const { watchBalance } = (await import(join(app, 'src', 'live-balance.ts'))) as LiveBalanceModule;
      const password = `password-${randomUUID()}`;
      const username = `client-${randomUUID().slice(0, 8)}`;
      await addUser(tally.app.orm, { username, password, role: 'CUSTOMER', email: `${username}@example.test` });
      const graphqlUrl = `${tally.url}/graphql`;
      const session = await Session.signIn(graphqlUrl, username, password);
      const accountId = await tally.account({ id: '', username, password, token: await session.currentToken() });

      const seen: { version: number; posted: string; atMs: number }[] = [];
      const startedAt = Date.now();
      const stop = watchBalance(graphqlUrl.replace(/^http/, 'ws'), session, accountId, (update) => seen.push({ version: update.version, posted: update.balance.posted, atMs: Date.now() }), {
        webSocketImpl: WebSocket,
      });
      try {
        // Ten deposits over about eleven seconds: the socket's first token expires in between.
        for (let deposit = 1; deposit <= 10; deposit += 1) {
          const result = dataOf(
            // Cash is posted by the cash service (its token renewed as this app's 5-second tokens expire).
            await tally.gql(DepositDocument, { input: { accountId, amount: '1.00', channel: 'CASH', idempotencyKey: randomUUID() } }, (await tally.cashier()).token),
          ).deposit;
          expect(result.__typename).toBe('MoneyMovement');
          await new Promise((resolve) => setTimeout(resolve, 1_100));
        }
        const deadline = Date.now() + 30_000;
        while (seen.length < 10 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      } finally {
        stop();
      }
      expect(seen.map((update) => [update.version, update.posted])).toEqual(Array.from({ length: 10 }, (_, index) => [index + 1, `${index + 1}.00`]));
      // The server never serves a socket past its token: updates this late came over a new socket.
      expect(seen.at(-1)!.atMs - startedAt).toBeGreaterThan(6_000);
    });
  });
});
