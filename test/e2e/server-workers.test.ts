import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { print } from 'graphql';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openOrm } from '../../src/db/orm.js';
import { addUser } from '../../src/auth/users.js';
import { DepositDocument, LoginDocument, OpenAccountDocument, type DepositMutation } from '../generated/graphql.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { dataOf, postGraphQL } from '../helpers/graphql-client.js';
import { brokenLaws } from '../helpers/laws.js';
import { descendantsOf } from '../helpers/process-tree.js';
import { REDIS_URL } from '../helpers/services.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { openSocket, subscribe, type LiveSocket, type LiveSubscription } from '../helpers/ws-client.js';

/**
 * WEB_CONCURRENCY=3: one port, three worker processes (Node cluster), Redis between them. Which
 * worker holds a connection is read from /proc (the worker whose descriptors include the server
 * side of that TCP connection), so the test knows it has sockets on every worker and sends a
 * deposit through each, and can fail if the work did not spread.
 */

const JWT_SECRET = 'server-workers-secret-that-is-long-enough-0123456789';
const ENCRYPTION_KEY = 'server-workers-encryption-key-long-enough-0123456789';
const WORKERS = 3;
const START_TIMEOUT_MS = 60_000;
const LIVE_DELIVERY_MS = 10_000;
/** After the expected updates arrived, wait this long for a duplicate or a stray one. */
const SETTLE_MS = 1_500;
/** Round-robin hands each new connection to the next worker: a few tries per worker find each. */
const CONNECTIONS_TO_TRY = WORKERS * 6;

const BALANCE_UPDATED = `subscription($id: ID!, $after: Int) {
  balanceUpdated(accountId: $id, afterVersion: $after) { accountId version balance { posted version } transaction { id } }
}`;

interface BalanceUpdatedData {
  readonly balanceUpdated: { accountId: string; version: number; balance: { posted: string; version: number }; transaction: { id: string } | null };
}

let database: TestDatabase | undefined;
let server: ServerProcess | undefined;
const sockets: LiveSocket[] = [];
const agents: http.Agent[] = [];

afterEach(async () => {
  await Promise.all(sockets.splice(0).map((socket) => socket.dispose().catch(() => undefined)));
  for (const agent of agents.splice(0)) agent.destroy();
  if (server && !server.exited) {
    server.kill('SIGKILL');
    await server.waitForExit(10_000).catch(() => undefined);
  }
  await database?.drop().catch(() => undefined);
  database = undefined;
  server = undefined;
});

/** Server-side TCP connections on `port`: the client's port -> the pid of the worker holding it. */
function connectionOwners(port: number, pids: readonly number[]): Map<number, number> {
  const pidOfInode = new Map<string, number>();
  for (const pid of pids) {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (match) pidOfInode.set(match[1]!, pid);
      } catch {
        // The descriptor closed while it was read.
      }
    }
  }
  const owners = new Map<number, number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').trim().split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [localPort, remotePort, state, inode] = [fields[1]!.split(':')[1]!, fields[2]!.split(':')[1]!, fields[3], fields[9]!];
      // 01: ESTABLISHED; the server's side has the server's port as its local port.
      if (state !== '01' || parseInt(localPort, 16) !== port) continue;
      const pid = pidOfInode.get(inode);
      if (pid !== undefined) owners.set(parseInt(remotePort, 16), pid);
    }
  }
  return owners;
}

function workerPids(): number[] {
  return descendantsOf(server!.pid).filter((pid) => /src\/main\.ts/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8')));
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

/** POSTs a GraphQL body over one agent's connection (keep-alive, one socket): the worker that holds it answers. */
function postOver(agent: http.Agent, path: string, body: unknown, token?: string): Promise<{ status: number; body: unknown; clientPort: number }> {
  const text = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${server!.url}${path}`,
      {
        agent,
        method: text === undefined ? 'GET' : 'POST',
        headers: { ...(text === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')), clientPort: request.socket?.localPort ?? -1 }),
        );
      },
    );
    request.on('error', reject);
    request.end(text);
  });
}

/** A kept-alive connection that the given worker holds, found by opening connections until one lands there. */
async function connectionTo(workerPid: number): Promise<http.Agent> {
  for (let attempt = 0; attempt < CONNECTIONS_TO_TRY; attempt += 1) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    const { clientPort } = await postOver(agent, '/healthz', undefined);
    if (connectionOwners(portOf(server!.url), workerPids()).get(clientPort) === workerPid) return agent;
    agent.destroy();
  }
  throw new Error(`no connection reached worker ${workerPid} in ${CONNECTIONS_TO_TRY} tries`);
}

/** A `ws` socket that remembers itself, so the test can ask which worker holds its connection. */
const opened: WebSocket[] = [];
class RecordedWebSocket extends WebSocket {
  constructor(...args: ConstructorParameters<typeof WebSocket>) {
    super(...args);
    opened.push(this);
  }
}

function clientPortOf(socket: WebSocket): number {
  return (socket as unknown as { _socket?: { localPort?: number } })._socket?.localPort ?? -1;
}

async function startWorkers(on: TestDatabase, workers: number): Promise<ServerProcess> {
  return startServerProcess({
    env: {
      DATABASE_URL: on.url,
      JWT_SECRET,
      ENCRYPTION_KEY,
      REDIS_URL,
      PORT: '0',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'test',
      RATE_LIMIT_MOVEMENTS_PER_MINUTE: '0',
      WEB_CONCURRENCY: String(workers),
    },
    startTimeoutMs: START_TIMEOUT_MS,
  });
}

describe('several server workers behind one port', () => {
  it('every socket, on whichever worker, gets every version exactly once and in order, after deposits made through each worker', { timeout: 180_000 }, async () => {
    database = await createTestDatabase();
    const orm = await openOrm(loadConfig({ DATABASE_URL: database.url, JWT_SECRET, ENCRYPTION_KEY }));
    const owner = { username: `workers-${randomUUID().slice(0, 8)}`, password: `password-${randomUUID()}` };
    const cash = { username: `cash-${randomUUID().slice(0, 8)}`, password: `password-${randomUUID()}` };
    try {
      await addUser(orm, { ...owner, email: `${owner.username}@example.test` });
      await addUser(orm, { ...cash, role: 'SERVICE', channels: ['CASH'], email: `${cash.username}@example.test` });
    } finally {
      await orm.close(true);
    }
    server = await startWorkers(database, WORKERS);
    expect(server.stdout()).toContain(`Workers: ${WORKERS} processes on one port`);
    const pids = workerPids();
    expect(pids).toHaveLength(WORKERS);

    const login = async (user: { username: string; password: string }) => {
      const result = dataOf(await postGraphQL(server!.url, LoginDocument, user)).generateToken;
      if (result.__typename !== 'AuthTokens') throw new Error(`login failed: ${JSON.stringify(result)}`);
      return result.accessToken;
    };
    const [token, cashToken] = [await login(owner), await login(cash)];
    const opening = dataOf(await postGraphQL(server.url, OpenAccountDocument, { input: { type: 'CHECKING', currency: 'USD', idempotencyKey: randomUUID() } }, token)).openAccount;
    if (opening.__typename !== 'OpenAccountSuccess') throw new Error(`open failed: ${JSON.stringify(opening)}`);
    const accountId = opening.account.id;

    // Sockets until every worker holds at least two; each subscribes from the start.
    const streams: Array<{ worker: number; updates: LiveSubscription<BalanceUpdatedData> }> = [];
    const perWorker = () => new Map(pids.map((pid) => [pid, streams.filter((stream) => stream.worker === pid).length]));
    for (let attempt = 0; attempt < CONNECTIONS_TO_TRY * 2 && [...perWorker().values()].some((count) => count < 2); attempt += 1) {
      const socket = openSocket(server.url, token, RecordedWebSocket);
      sockets.push(socket);
      await socket.connected;
      const worker = connectionOwners(portOf(server.url), pids).get(clientPortOf(opened.at(-1)!));
      expect(worker, 'the socket is held by one of the workers').toBeDefined();
      streams.push({ worker: worker!, updates: subscribe<BalanceUpdatedData>(socket, BALANCE_UPDATED, { id: accountId, after: 0 }) });
    }
    expect([...perWorker().values()].every((count) => count >= 2), `sockets per worker ${JSON.stringify([...perWorker()])}`).toBe(true);
    await sleep(500);

    // Two rounds of one deposit through each worker, each over a connection that worker holds.
    const deposits: Array<{ worker: number; version: number; transactionId: string }> = [];
    for (let round = 0; round < 2; round += 1) {
      for (const pid of pids) {
        const agent = await connectionTo(pid);
        const answer = await postOver(agent, '/graphql', { query: print(DepositDocument), variables: { input: { accountId, amount: '1.00', channel: 'CASH', idempotencyKey: randomUUID() } } }, cashToken);
        const movement = (answer.body as { data: DepositMutation }).data.deposit;
        if (movement.__typename !== 'MoneyMovement') throw new Error(`deposit failed: ${JSON.stringify(answer.body)}`);
        expect(connectionOwners(portOf(server.url), pids).get(answer.clientPort), 'the deposit was answered by the worker asked for').toBe(pid);
        deposits.push({ worker: pid, version: movement.balances.find((balance) => balance.accountId === accountId)!.version, transactionId: movement.transaction.id });
      }
    }
    expect(deposits.map((made) => made.version)).toEqual([1, 2, 3, 4, 5, 6]);

    const transactions = new Map(deposits.map((made) => [made.version, made.transactionId]));
    for (const [index, { worker, updates }] of streams.entries()) {
      await updates.waitUntil((subscription) => subscription.data().length >= deposits.length, LIVE_DELIVERY_MS, `socket ${index} on worker ${worker}`);
    }
    await sleep(SETTLE_MS);
    for (const { updates } of streams) {
      expect(updates.results.filter((result) => result.errors !== undefined)).toEqual([]);
      const seen = updates.data().map(({ balanceUpdated }) => [balanceUpdated.version, balanceUpdated.balance.posted, balanceUpdated.transaction?.id]);
      expect(seen).toEqual(deposits.map((made) => [made.version, `${made.version}.00`, transactions.get(made.version)]));
    }

    await Promise.all(sockets.splice(0).map((socket) => socket.dispose()));
    server.kill('SIGTERM');
    expect(await server.waitForExit(30_000)).toEqual({ code: 0, signal: null });
    for (const pid of pids) expect(() => process.kill(pid, 0), `worker ${pid} stopped with the primary`).toThrow();
    expect(await brokenLaws(database.pool)).toEqual([]);
  });

  it('replaces a worker that dies: the port keeps serving, and the new worker serves too', { timeout: 120_000 }, async () => {
    database = await createTestDatabase();
    server = await startWorkers(database, 2);
    const [victim, survivor] = workerPids();
    expect(survivor).toBeDefined();
    process.kill(victim!, 'SIGKILL');
    const deadline = Date.now() + START_TIMEOUT_MS;
    let pids = workerPids();
    while ((pids.includes(victim!) || pids.length < 2) && Date.now() < deadline) {
      await sleep(200);
      pids = workerPids();
    }
    expect(pids).toHaveLength(2);
    expect(pids).toContain(survivor);
    const replacement = pids.find((pid) => pid !== survivor)!;
    expect(replacement).not.toBe(victim);
    // The replacement takes connections once it listens: find one it holds, and be answered over it.
    let answered: { status: number; body: unknown } | undefined;
    while (!answered && Date.now() < deadline) {
      answered = await connectionTo(replacement)
        .then((agent) => postOver(agent, '/readyz', undefined))
        .catch(async () => {
          await sleep(200);
          return undefined;
        });
    }
    expect(answered).toMatchObject({ status: 200, body: { status: 'ready', database: 'up', redis: 'up' } });
    expect(server.stderr()).not.toMatch(/tally: /);
    server.kill('SIGTERM');
    expect(await server.waitForExit(30_000)).toEqual({ code: 0, signal: null });
  });
});
