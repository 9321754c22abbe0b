import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { freePort } from './redis-server.js';

/**
 * A private Redis Sentinel setup (Debian's `redis-sentinel`): a primary, one replica and three
 * sentinels on free ports, their files in one temp directory. Each process leads its own process
 * group, so `stop()` kills it and anything it forked; the machine's Redis on 6379 is never touched.
 */

/** The master name the sentinels monitor; Tally is given it as REDIS_SENTINEL_NAME. */
export const SENTINEL_MASTER_NAME = 'tally';
/** How long a silent primary counts as up: short, so the test's failover takes seconds. */
const DOWN_AFTER_MS = 1_000;
const FAILOVER_TIMEOUT_MS = 10_000;
const START_TIMEOUT_MS = 15_000;

/** Installs `redis-sentinel` with apt-get when it is missing; throws one line naming the command that failed. */
export function ensureRedisSentinelInstalled(): void {
  if (spawnSync('sh', ['-c', 'command -v redis-sentinel'], { stdio: 'ignore' }).status === 0) return;
  console.info('redis-sentinel is missing: installing it with apt-get (once)');
  for (const command of [['apt-get', 'update'], ['apt-get', 'install', '-y', 'redis-sentinel']]) {
    const run = spawnSync(command[0]!, command.slice(1), { encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (run.status !== 0) {
      const reason = (run.error?.message ?? run.stderr ?? '').trim().split('\n').pop() ?? '';
      throw new Error(`redis-sentinel is missing and \`${command.join(' ')}\` failed (exit ${run.status}): ${reason}`);
    }
  }
  if (spawnSync('sh', ['-c', 'command -v redis-sentinel'], { stdio: 'ignore' }).status !== 0) {
    throw new Error('`apt-get install -y redis-sentinel` succeeded but redis-sentinel is still not on PATH');
  }
}

export interface ManagedProcess {
  readonly role: string;
  readonly port: number;
  readonly exited: boolean;
  output(): string;
  /** Kills the whole process group; a no-op once it has exited. */
  kill(signal?: NodeJS.Signals): void;
  waitForExit(timeoutMs: number): Promise<void>;
}

function startManaged(role: string, port: number, command: string, args: readonly string[], cwd: string): ManagedProcess {
  const child: ChildProcess = spawn(command, [...args], { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`${role} (${command}) did not start`);
  const pid = child.pid;
  let output = '';
  let exited = false;
  const collect = (chunk: Buffer) => {
    if (output.length < 256 * 1024) output += chunk.toString('utf8');
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exit.then(() => (exited = true));
  child.once('error', (error) => (output += `\nspawn error: ${error.message}`));
  return {
    role,
    port,
    get exited() {
      return exited;
    },
    output: () => output,
    kill(signal = 'SIGKILL') {
      if (exited) return;
      try {
        process.kill(-pid, signal);
      } catch {
        // The group ended between the check and the signal.
      }
    },
    waitForExit: (timeoutMs) =>
      Promise.race([
        exit,
        sleep(timeoutMs).then(() => {
          throw new Error(`${role} (pid ${pid}) did not exit within ${timeoutMs} ms`);
        }),
      ]),
  };
}

/** Asks a Redis or sentinel on `port` one command, with a short timeout; undefined when it does not answer. */
export async function askRedis(port: number, command: string, ...args: string[]): Promise<unknown> {
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, connectTimeout: 1_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await client.call(command, ...args);
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

async function until(condition: () => Promise<boolean>, timeoutMs: number, what: string, detail: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what} not within ${timeoutMs} ms\n${detail()}`);
    await sleep(100);
  }
}

function infoField(info: unknown, field: string): string | undefined {
  return typeof info === 'string' ? new RegExp(`^${field}:(.*)\\r?$`, 'm').exec(info)?.[1]?.trim() : undefined;
}

export interface SentinelSetup {
  readonly primary: ManagedProcess;
  readonly replica: ManagedProcess;
  readonly sentinels: readonly ManagedProcess[];
  /** `127.0.0.1:port,…`, as REDIS_SENTINELS takes it. */
  readonly sentinelList: string;
  /** The port the sentinels currently name as primary (asked of the first that answers). */
  currentPrimaryPort(): Promise<number | undefined>;
  /** Kills every process of the setup and removes its directory. */
  stop(): Promise<void>;
}

function redisArgs(port: number, directory: string): string[] {
  return ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', directory];
}

/**
 * Starts the setup and resolves once the replica is in sync and every sentinel knows the replica
 * and the two other sentinels (only then can they agree on a failover).
 */
export async function startSentinelSetup(): Promise<SentinelSetup> {
  const directory = mkdtempSync(join(tmpdir(), 'tally-sentinel-'));
  const processes: ManagedProcess[] = [];
  const describe = () => processes.map((p) => `--- ${p.role} :${p.port} ---\n${p.output().slice(-2_000)}`).join('\n');
  const [primaryPort, replicaPort, ...sentinelPorts] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  const setup: SentinelSetup = {
    get primary() {
      return processes[0]!;
    },
    get replica() {
      return processes[1]!;
    },
    get sentinels() {
      return processes.slice(2);
    },
    sentinelList: sentinelPorts.map((port) => `127.0.0.1:${port}`).join(','),
    async currentPrimaryPort() {
      for (const port of sentinelPorts) {
        const answer = await askRedis(port, 'SENTINEL', 'get-master-addr-by-name', SENTINEL_MASTER_NAME);
        if (Array.isArray(answer) && answer.length === 2) return Number(answer[1]);
      }
      return undefined;
    },
    async stop() {
      for (const managed of processes) managed.kill('SIGKILL');
      await Promise.all(processes.map((managed) => managed.waitForExit(10_000).catch(() => undefined)));
      rmSync(directory, { recursive: true, force: true });
    },
  };
  try {
    processes.push(startManaged('primary', primaryPort!, 'redis-server', redisArgs(primaryPort!, directory), directory));
    processes.push(startManaged('replica', replicaPort!, 'redis-server', [...redisArgs(replicaPort!, directory), '--replicaof', '127.0.0.1', String(primaryPort)], directory));
    await until(async () => infoField(await askRedis(replicaPort!, 'INFO', 'replication'), 'master_link_status') === 'up', START_TIMEOUT_MS, 'replica in sync', describe);
    for (const [index, port] of sentinelPorts.entries()) {
      // Sentinel rewrites its configuration file as it learns the setup: one writable file each.
      const file = join(directory, `sentinel-${index}.conf`);
      writeFileSync(
        file,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          'daemonize no',
          `dir ${directory}`,
          `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${primaryPort} 2`,
          `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} ${DOWN_AFTER_MS}`,
          `sentinel failover-timeout ${SENTINEL_MASTER_NAME} ${FAILOVER_TIMEOUT_MS}`,
          `sentinel parallel-syncs ${SENTINEL_MASTER_NAME} 1`,
          '',
        ].join('\n'),
      );
      processes.push(startManaged(`sentinel-${index}`, port, 'redis-sentinel', [file], directory));
    }
    for (const port of sentinelPorts) {
      await until(
        async () => {
          const replicas = await askRedis(port, 'SENTINEL', 'replicas', SENTINEL_MASTER_NAME);
          const peers = await askRedis(port, 'SENTINEL', 'sentinels', SENTINEL_MASTER_NAME);
          return Array.isArray(replicas) && replicas.length === 1 && Array.isArray(peers) && peers.length === sentinelPorts.length - 1;
        },
        START_TIMEOUT_MS,
        `sentinel :${port} knowing the replica and its peers`,
        describe,
      );
    }
    return setup;
  } catch (error) {
    await setup.stop();
    throw error;
  }
}
