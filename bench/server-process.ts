import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Lines of server output kept for the error report; a bounded tail, never the whole log. */
const LOG_TAIL_LINES = 40;
const READY_POLL_INTERVAL_MS = 200;
/** SIGTERM lets the server drain; after this it is killed outright so the bench always ends. */
const STOP_GRACE_MS = 10_000;

export interface ServerOptions {
  readonly repositoryRoot: string;
  readonly databaseUrl: string;
  readonly poolSize: number;
  readonly readyTimeoutMs: number;
  /** Variables set on top of the bench defaults, e.g. REDIS_URL for live balances. */
  readonly environment?: Readonly<Record<string, string>>;
  /** The port to listen on (a restarted server keeps its clients' URL); a free one when absent. */
  readonly port?: number;
}

export interface ServerProcess {
  readonly url: URL;
  /** Recent server output, for reports when something went wrong. */
  logTail(): string;
  /** The number of log lines; the server logs only at warn and above here, so 0 is clean. */
  logLineCount(): number;
  stop(): Promise<void>;
  /** CPU time the server process and its workers have used so far (Linux /proc), or null where unavailable. */
  cpuSeconds(): number | null;
  /** Resident memory of the server process and its workers (Linux /proc), or null where unavailable. */
  residentBytes(): number | null;
  /** Synchronous last resort for process exit handlers. */
  killNow(): void;
}

/** /proc reports CPU times in USER_HZ ticks, which Linux fixes at 100 per second for user space. */
const PROC_TICKS_PER_SECOND = 100;

/** utime + stime of a process from /proc/<pid>/stat (fields 14 and 15, counted after the name). */
export function processCpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The name (field 2) may hold spaces, so count fields from its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks / PROC_TICKS_PER_SECOND : null;
  } catch {
    return null;
  }
}

/**
 * The server and its cluster workers (WEB_CONCURRENCY): node processes below it, from /proc's
 * children lists. tsx's esbuild helper is left out; it works only while the server loads.
 */
function serverProcesses(pid: number | undefined): number[] {
  if (pid === undefined) return [];
  const found = [pid];
  for (let index = 0; index < found.length; index += 1) {
    try {
      const children = readFileSync(`/proc/${found[index]}/task/${found[index]}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
      for (const child of children) if (readFileSync(`/proc/${child}/comm`, 'utf8').trim() === 'node') found.push(child);
    } catch {
      // The process ended while it was read.
    }
  }
  return found;
}

/** Summed over the server's processes; null when the server's own figure is unavailable. */
function sumOverServer(pid: number | undefined, read: (pid: number) => number | null): number | null {
  const [first, ...workers] = serverProcesses(pid);
  const own = first === undefined ? null : read(first);
  return own === null ? null : workers.reduce((total, worker) => total + (read(worker) ?? 0), own);
}

/** VmRSS of a process from /proc/<pid>/status, which reports it in kB. */
function processResidentBytes(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Asks the kernel for a free loopback port, then releases it for the server to take. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

async function isReady(url: URL): Promise<boolean> {
  try {
    const response = await fetch(new URL('/readyz', url), { signal: AbortSignal.timeout(READY_POLL_INTERVAL_MS * 5) });
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * Starts `src/main.ts` in its own process, as `npm start` would, so the load generator never
 * shares the server's event loop and the numbers include real HTTP and JSON work.
 */
export async function startServerProcess(options: ServerOptions): Promise<ServerProcess> {
  const port = options.port ?? (await freePort());
  const url = new URL(`http://127.0.0.1:${port}`);
  const child: ChildProcess = spawn(process.execPath, [...(process.env.BENCH_SERVER_NODE_FLAGS?.split(' ').filter(Boolean) ?? []), '--import', 'tsx', 'src/main.ts'], {
    cwd: options.repositoryRoot,
    env: {
      ...process.env,
      DATABASE_URL: options.databaseUrl,
      // A fresh secret per run: bench tokens are worthless anywhere else.
      JWT_SECRET: randomBytes(48).toString('base64url'),
      ENCRYPTION_KEY: randomBytes(48).toString('base64url'),
      PORT: String(port),
      LOG_LEVEL: 'warn',
      DATABASE_POOL_SIZE: String(options.poolSize),
      NODE_ENV: 'production',
      // API.md: 0 turns a rate limit off, for load tests; 100 users at bench rates would exceed them.
      RATE_LIMIT_MOVEMENTS_PER_MINUTE: '0',
      RATE_LIMIT_LOGIN_FAILURES: '0',
      RATE_LIMIT_LOGIN_SUCCESSES: '0',
      // The built-in velocity rule would send most bench movements to review; a scenario that
      // measures the risk step passes RISK_RULES=on in its environment.
      RISK_RULES: 'off',
      ...options.environment,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  const tail: string[] = [];
  let logLineCount = 0;
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      // Pino writes JSON lines; the start banner and start failures are plain text.
      if (line.startsWith('{')) logLineCount += 1;
      tail.push(line);
      if (tail.length > LOG_TAIL_LINES) tail.shift();
    }
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => {
    exited = true;
    resolve();
  }));

  const server: ServerProcess = {
    url,
    logTail: () => tail.join('\n'),
    logLineCount: () => logLineCount,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const stopped = await Promise.race([exit.then(() => true), sleep(STOP_GRACE_MS).then(() => false)]);
      if (!stopped) {
        child.kill('SIGKILL');
        await exit;
      }
    },
    cpuSeconds: () => (exited ? null : sumOverServer(child.pid, processCpuSeconds)),
    residentBytes: () => (exited ? null : sumOverServer(child.pid, processResidentBytes)),
    killNow() {
      if (!exited) child.kill('SIGKILL');
    },
  };

  const deadline = Date.now() + options.readyTimeoutMs;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`the server exited during start:\n${server.logTail()}`);
    if (await isReady(url)) return server;
    await sleep(READY_POLL_INTERVAL_MS);
  }
  await server.stop();
  throw new Error(`the server was not ready within ${options.readyTimeoutMs} ms:\n${server.logTail()}`);
}
