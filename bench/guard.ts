import { setTimeout as sleep } from 'node:timers/promises';

/** The clean-up after an abort (dropping the database) gets this long, then the process exits regardless. */
const ABORT_CLEANUP_TIMEOUT_MS = 5_000;
const EXIT_CODE_SIGINT = 130;
const EXIT_CODE_SIGTERM = 143;
/** Not a signal: the run took longer than its budget, so something is stuck. */
const EXIT_CODE_BUDGET_EXCEEDED = 2;

export interface RunGuardOptions {
  /** The whole scenario, setup to teardown; past it the run is aborted. */
  readonly budgetMs: number;
  /** Synchronous: kills every process the scenario started (it also runs on process exit). */
  readonly killNow: () => void;
  /** Bounded by ABORT_CLEANUP_TIMEOUT_MS: e.g. drops the bench database. */
  readonly cleanUp: () => Promise<void>;
}

export interface RunGuard {
  /** The scenario ended by itself: stop watching, so the next scenario can install its own guard. */
  release(): void;
}

/**
 * Whatever happens, a scenario's server and socket workers must not outlive the bench, and the run
 * must end by itself: Ctrl-C, SIGTERM or an exceeded budget kill them, clean up, and exit.
 */
export function guardRun(options: RunGuardOptions): RunGuard {
  const abort = async (reason: string, code: number) => {
    process.stderr.write(`bench: ${reason}\n`);
    options.killNow();
    await Promise.race([options.cleanUp().catch(() => undefined), sleep(ABORT_CLEANUP_TIMEOUT_MS)]);
    process.exit(code);
  };
  const onInterrupt = () => void abort('interrupted; server stopped', EXIT_CODE_SIGINT);
  const onTerminate = () => void abort('terminated; server stopped', EXIT_CODE_SIGTERM);
  const onExit = () => options.killNow();
  process.once('SIGINT', onInterrupt);
  process.once('SIGTERM', onTerminate);
  process.once('exit', onExit);
  const watchdog = setTimeout(
    () => void abort(`the run exceeded its ${options.budgetMs / 1000} s budget; aborted`, EXIT_CODE_BUDGET_EXCEEDED),
    options.budgetMs,
  );
  return {
    release() {
      clearTimeout(watchdog);
      process.off('SIGINT', onInterrupt);
      process.off('SIGTERM', onTerminate);
      process.off('exit', onExit);
    },
  };
}
