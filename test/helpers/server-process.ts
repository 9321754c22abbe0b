import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, where `npm start` runs. */
export const REPOSITORY_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The start banner's line with the URL (src/main.ts). */
const BANNER_URL = /serving the ledger API at (http:\/\/[^\s/]+)\/graphql/;

/** A chatty server must not grow the test process without bound; the banner is at the start. */
const MAX_CAPTURED_CHARACTERS = 4 * 1024 * 1024;

export interface ServerExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A process spawned as `npm start` would run, whether or not it got as far as serving. */
export interface SpawnedProcess {
  readonly pid: number;
  /** Everything the process printed on stdout so far (capped at 4 MB). */
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout; rejects on timeout or exit. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** Sends a signal; a no-op when the process has already exited. */
  kill(signal?: NodeJS.Signals): void;
  /** Resolves when the process has exited; rejects after `timeoutMs`. */
  waitForExit(timeoutMs: number): Promise<ServerExit>;
  readonly exited: boolean;
}

export interface ServerProcess extends SpawnedProcess {
  /** `http://localhost:<port>`, without `/graphql` (as `postGraphQL` wants it). */
  readonly url: string;
}

export interface SpawnOptions {
  /** Applied over this process's environment; an `undefined` value removes the variable. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * Run `npm start` itself, so that `pid` is npm's and signals go to npm, as they do when an
   * operator or a supervisor stops it. By default the start script's node command is spawned
   * directly, so a signal (SIGKILL above all) reaches the server itself.
   */
  readonly throughNpm?: boolean;
}

export interface StartServerOptions extends SpawnOptions {
  /** How long to wait for the start banner. */
  readonly startTimeoutMs?: number;
}

/**
 * The command `npm start` runs, read from package.json so these tests follow it if it changes.
 * The server is spawned without npm in between: a signal must reach the server itself (npm would
 * be the one killed by SIGKILL, leaving the server running).
 */
export function startCommand(): { readonly command: string; readonly args: readonly string[] } {
  const manifest = JSON.parse(readFileSync(resolve(REPOSITORY_ROOT, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  const script = manifest.scripts?.start;
  if (!script) throw new Error('package.json has no start script');
  // `exec` replaces npm's shell with node, so signals sent to npm reach node (npm forwards them).
  const words = script.trim().split(/\s+/);
  const [program, ...args] = words[0] === 'exec' ? words.slice(1) : words;
  if (program !== 'node') throw new Error(`the start script does not run node: ${script}`);
  return { command: process.execPath, args };
}

function tail(text: string, characters = 4000): string {
  return text.length > characters ? `…${text.slice(-characters)}` : text;
}

/** Spawns the server as `npm start` would (or through npm itself), without waiting for anything. */
export function spawnServerProcess(options: SpawnOptions): SpawnedProcess {
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...process.env, ...options.env })) {
    if (value !== undefined) environment[name] = value;
  }
  const { command, args } = options.throughNpm ? { command: 'npm', args: ['start'] } : startCommand();
  const child = spawn(command, [...args], { cwd: REPOSITORY_ROOT, env: environment, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error('the server process did not start');

  let stdout = '';
  let stderr = '';
  let exit: ServerExit | undefined;
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of [...listeners]) listener();
  };
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    if (stdout.length < MAX_CAPTURED_CHARACTERS) stdout += chunk;
    notify();
  });
  child.stderr.on('data', (chunk: string) => {
    if (stderr.length < MAX_CAPTURED_CHARACTERS) stderr += chunk;
    notify();
  });
  const exitPromise = new Promise<ServerExit>((resolveExit) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolveExit(exit);
      notify();
    });
  });
  child.once('error', (error) => {
    stderr += `\nspawn error: ${error.message}`;
    notify();
  });

  const describe = () => `\n--- stdout ---\n${tail(stdout)}\n--- stderr ---\n${tail(stderr)}`;

  const waitForOutput = (pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> =>
    new Promise((resolveMatch, rejectMatch) => {
      const check = (): boolean => {
        const match = stdout.match(pattern);
        if (match) {
          finish();
          resolveMatch(match);
          return true;
        }
        if (exit) {
          finish();
          rejectMatch(new Error(`server exited (${JSON.stringify(exit)}) before printing ${pattern}${describe()}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        finish();
        rejectMatch(new Error(`server printed no ${pattern} within ${timeoutMs} ms${describe()}`));
      }, timeoutMs);
      const listener = () => void check();
      function finish() {
        clearTimeout(timer);
        listeners.delete(listener);
      }
      listeners.add(listener);
      check();
    });

  const kill = (signal: NodeJS.Signals = 'SIGTERM') => {
    if (!exit) child.kill(signal);
  };

  return {
    pid: child.pid,
    stdout: () => stdout,
    stderr: () => stderr,
    waitForOutput,
    kill,
    get exited() {
      return exit !== undefined;
    },
    waitForExit: (timeoutMs) =>
      new Promise<ServerExit>((resolveExit, rejectExit) => {
        const timer = setTimeout(() => rejectExit(new Error(`server did not exit within ${timeoutMs} ms${describe()}`)), timeoutMs);
        void exitPromise.then((result) => {
          clearTimeout(timer);
          resolveExit(result);
        });
      }),
  };
}

/** Spawns the server as `npm start` would, and resolves once its banner names the URL. */
export async function startServerProcess(options: StartServerOptions): Promise<ServerProcess> {
  const spawned = spawnServerProcess(options);
  try {
    const match = await spawned.waitForOutput(BANNER_URL, options.startTimeoutMs ?? 60_000);
    return Object.assign(spawned, { url: match[1]! });
  } catch (error) {
    spawned.kill('SIGKILL');
    throw error;
  }
}
