import cluster, { type Worker } from 'node:cluster';
import type { Config } from './config.js';
import type { Logger } from './logger.js';

/**
 * Several server processes behind one port (Node's cluster module: the primary holds the port
 * and hands each new connection to the next worker in turn), so HTTP requests and WebSocket
 * sockets spread over the cores. Each worker is a whole server: its own database pool, outbox
 * relay (`FOR UPDATE SKIP LOCKED`, so the workers share the outbox without publishing an event
 * twice at once), schedulers and version watch; each hears every balance update through Redis,
 * so a socket on any worker gets every version of a deposit made through any other.
 */

/** How many processes serve, and why when fewer than asked for. */
export interface WorkerPlan {
  readonly workers: number;
  /** Set when WEB_CONCURRENCY asked for more than can share the setup. */
  readonly reason?: string;
}

/**
 * The embedded database allows one process (its lock file says so), and without Redis each
 * process's pub/sub is its own: a socket on one worker would not hear a deposit made on another
 * (except by the version watch, 30 s later). Both serve from one process.
 */
export function workerPlan(config: Config): WorkerPlan {
  if (config.workers <= 1) return { workers: 1 };
  if (!config.databaseUrl) return { workers: 1, reason: `WEB_CONCURRENCY=${config.workers} ignored: the embedded database serves from one process` };
  if (!config.redisUrl) return { workers: 1, reason: `WEB_CONCURRENCY=${config.workers} ignored: without REDIS_URL workers would not hear each other's updates` };
  return { workers: config.workers };
}

/** What a worker tells the primary once it listens (the URL the banner prints). */
interface ListeningMessage {
  readonly kind: 'tally:listening';
  readonly url: string;
}

function isListening(message: unknown): message is ListeningMessage {
  return typeof message === 'object' && message !== null && (message as { kind?: unknown }).kind === 'tally:listening';
}

/** In a worker: tells the primary this worker serves. A no-op in a single process. */
export function reportListening(url: string): void {
  if (cluster.isWorker) process.send?.({ kind: 'tally:listening', url } satisfies ListeningMessage);
}

export function isClusterWorker(): boolean {
  return cluster.isWorker;
}

/** A worker that exits takes this long at most to close its sockets and pool before SIGKILL. */
const WORKER_STOP_GRACE_MS = 15_000;

/**
 * The primary: starts the first worker alone (it applies the migrations; two at once would
 * race), then the others; prints the banner once all listen. A worker that fails to start stops
 * the whole server with exit code 1 (the worker already said why); one that dies later is
 * replaced. SIGINT or SIGTERM stops every worker and exits 0 once they all have.
 */
export async function runPrimary(plan: WorkerPlan, logger: Logger, banner: (url: string) => string): Promise<void> {
  let stopping = false;
  const starting = new Set<Worker>();
  const fork = () => {
    const worker = cluster.fork();
    starting.add(worker);
    return worker;
  };
  cluster.on('exit', (worker, code, signal) => {
    const failedToStart = starting.delete(worker);
    if (stopping) return;
    if (failedToStart) {
      stopping = true;
      stopAll(code === 0 ? 1 : code);
      return;
    }
    logger.error({ pid: worker.process.pid, code, signal }, 'server worker exited; starting another');
    void listening(fork());
  });
  const listening = (worker: Worker) =>
    new Promise<string>((resolve) =>
      worker.on('message', (message: unknown) => {
        if (!isListening(message)) return;
        starting.delete(worker);
        resolve(message.url);
      }),
    );
  const stopAll = (exitCode: number) => {
    const workers = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined);
    const killer = setTimeout(() => workers.forEach((worker) => worker.process.kill('SIGKILL')), WORKER_STOP_GRACE_MS);
    killer.unref();
    let codes = 0;
    const done = () => (Object.keys(cluster.workers ?? {}).length === 0 ? process.exit(codes === 0 ? exitCode : 1) : undefined);
    cluster.on('exit', (_worker, code) => {
      codes += code ?? 1;
      done();
    });
    for (const worker of workers) worker.process.kill('SIGTERM');
    done();
  };
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, workers: plan.workers }, 'shutting down');
    stopAll(0);
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  const url = await listening(fork());
  await Promise.all(Array.from({ length: plan.workers - 1 }, () => listening(fork())));
  if (!stopping) process.stdout.write(banner(url));
}
