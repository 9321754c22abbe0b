import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkerMethod, WorkerMethods, WorkerReply, WorkerRequest } from './fanout-protocol.js';
import { processCpuSeconds } from './server-process.js';

const WORKER_SCRIPT = fileURLToPath(new URL('./fanout-worker.ts', import.meta.url));
/** A worker answers `close` after at most its own close timeout (10 s); then it is killed. */
const STOP_TIMEOUT_MS = 15_000;

interface Pending {
  resolve(result: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * One socket worker child process (bench/fanout-worker.ts) and a typed request/answer channel to
 * it. A worker that exits fails every request still waiting; none is left hanging.
 */
export class SocketWorker {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private exitedWith: string | undefined;
  private readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (message: WorkerReply) => {
      const waiting = this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id);
      clearTimeout(waiting.timer);
      if (message.ok) waiting.resolve(message.result);
      else waiting.reject(new Error(`socket worker: ${message.error}`));
    });
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exitedWith = signal ?? `code ${code}`;
        for (const waiting of this.pending.values()) {
          clearTimeout(waiting.timer);
          waiting.reject(new Error(`socket worker exited (${this.exitedWith}) before answering`));
        }
        this.pending.clear();
        resolve();
      }),
    );
  }

  static start(): SocketWorker {
    const child = fork(WORKER_SCRIPT, [], {
      execArgv: ['--import', 'tsx'],
      // Typed arrays of latencies and NaN send times cross the channel as they are.
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new SocketWorker(child);
  }

  request<Method extends WorkerMethod>(
    method: Method,
    params: WorkerMethods[Method]['params'],
    timeoutMs: number,
  ): Promise<WorkerMethods[Method]['result']> {
    if (this.exitedWith !== undefined) return Promise.reject(new Error(`socket worker already exited (${this.exitedWith})`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`socket worker did not answer ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (result: unknown) => void, reject, timer });
      this.child.send({ id, method, params } as WorkerRequest);
    });
  }

  /** Closes the worker's sockets and lets it exit; kills it if it does not in time. */
  async stop(): Promise<void> {
    if (this.exitedWith !== undefined) return;
    await this.request('close', {}, STOP_TIMEOUT_MS).catch(() => undefined);
    const exited = await Promise.race([this.exited.then(() => true), sleep(STOP_TIMEOUT_MS).then(() => false)]);
    if (!exited) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }

  /** CPU time the worker has used so far (Linux /proc), or null where unavailable: is the loader the bottleneck? */
  cpuSeconds(): number | null {
    return this.exitedWith === undefined ? processCpuSeconds(this.child.pid) : null;
  }

  /** Synchronous last resort for aborts and process exit. */
  killNow(): void {
    if (this.exitedWith === undefined) this.child.kill('SIGKILL');
  }
}
