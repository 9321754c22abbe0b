import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { tmpdir } from 'node:os';

/**
 * A private redis-server, spawned as a child of the test process so a test can kill it (an outage)
 * and start it again on the same port. Never touches any other Redis on the machine.
 */

/** A port that was free a moment ago: listen on port 0, read the port, close. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('no port'));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

function canConnect(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  readonly exited: boolean;
  output(): string;
  /** Sends a signal to this child only; a no-op once it has exited. */
  kill(signal?: NodeJS.Signals): void;
  waitForExit(timeoutMs: number): Promise<void>;
}

/** Starts `redis-server` on `port` (no persistence) and resolves once it accepts connections. */
export async function startRedisServer(port: number, startTimeoutMs = 10_000): Promise<RedisServer> {
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', tmpdir()],
    { cwd: tmpdir(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (child.pid === undefined) throw new Error('redis-server did not start');
  const pid = child.pid;
  let output = '';
  let exited = false;
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    if (output.length < 256 * 1024) output += chunk;
  });
  child.stderr?.on('data', (chunk: string) => {
    if (output.length < 256 * 1024) output += chunk;
  });
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
  });
  child.once('error', (error) => {
    output += `\nspawn error: ${error.message}`;
  });

  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    pid,
    get exited() {
      return exited;
    },
    output: () => output,
    kill: (signal = 'SIGTERM') => {
      if (!exited) child.kill(signal);
    },
    waitForExit: (timeoutMs) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`redis-server ${pid} did not exit within ${timeoutMs} ms`)), timeoutMs);
        void exitPromise.then(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };

  const deadline = Date.now() + startTimeoutMs;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`redis-server exited at start on port ${port}:\n${output}`);
    if (/Ready to accept connections/i.test(output) && (await canConnect(port))) return server;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  server.kill('SIGKILL');
  throw new Error(`redis-server on port ${port} was not ready within ${startTimeoutMs} ms:\n${output}`);
}
