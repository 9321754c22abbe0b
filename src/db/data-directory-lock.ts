import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StartRefusal } from '../start-refusal.js';

/**
 * One process at a time on an embedded data directory. PGlite is a whole PostgreSQL inside the
 * process with no postmaster to refuse a second one: two processes on the same directory would
 * write the same files and corrupt the ledger. So the directory holds a lock file naming its
 * owner's pid; a second process refuses to start, and a lock left by a dead process (SIGKILL, a
 * crash, a power cut) is taken over at once.
 *
 * Why not proper-lockfile: it judges a lock stale by its age, refreshed on a timer, so a restart
 * after a SIGKILL would be refused for the stale period, and a busy event loop (PGlite boots on
 * the main thread) can make a live lock look stale. Whether the owner's pid is alive is the exact
 * question, and the kernel answers it.
 */

/** The lock file's name inside the data directory. */
export const LOCK_FILE_NAME = 'tally.lock';
/** Lock, read, take-over rounds before giving up (each round loses only to another live process). */
const ACQUIRE_ROUNDS = 3;

export class DataDirectoryInUseError extends StartRefusal {
  constructor(
    readonly directory: string,
    readonly ownerPid: number | undefined,
  ) {
    const owner = ownerPid === undefined ? 'another Tally process' : `another Tally process (pid ${ownerPid})`;
    super(`the data directory ${directory} is in use by ${owner}; stop it, or set TALLY_DATA_DIR to another directory`);
    this.name = 'DataDirectoryInUseError';
  }
}

export interface DataDirectoryLock {
  readonly path: string;
  /** Removes the lock file if it is still this process's; safe to call twice. */
  release(): void;
}

/** What a lock file says about its owner. */
interface LockOwner {
  readonly pid: number;
  /** The owner's start time in clock ticks since boot (Linux), so a reused pid is not mistaken for it. */
  readonly startTime: string | null;
}

/** Locks held by this process: a second lock of the same directory in one process is refused too. */
const heldByThisProcess = new Set<string>();

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** The fields of /proc/<pid>/stat after the command name (state first); undefined without /proc. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses; the fields after it do not.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot); null where there is no /proc. */
function processStartTime(pid: number): string | null {
  return statFields(pid)?.[19] ?? null;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const parsed = JSON.parse(text) as Partial<LockOwner>;
    return Number.isSafeInteger(parsed.pid) && parsed.pid! > 0 ? { pid: parsed.pid!, startTime: parsed.startTime ?? null } : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(owner: LockOwner): boolean {
  // Our own pid in a lock we do not hold is an earlier life of ours: containers reuse pids.
  if (owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if (errorCode(error) !== 'EPERM') return false;
  }
  const fields = statFields(owner.pid);
  if (fields === undefined) return true;
  // A zombie (killed, not yet reaped, e.g. under a container's pid 1) no longer touches the files.
  if (fields[0] === 'Z') return false;
  return owner.startTime === null || fields[19] === owner.startTime;
}

/**
 * Moves a dead owner's lock aside and deletes it. A rename is atomic, so of two processes taking
 * over the same stale lock one moves it; if what was moved turns out to be a fresh lock (another
 * process took over in between), it is put back.
 */
function removeStaleLock(path: string, staleText: string): void {
  const aside = `${path}.stale-${process.pid}`;
  try {
    renameSync(path, aside);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return;
    throw error;
  }
  try {
    if (readText(aside) !== staleText) linkSync(aside, path);
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw error;
  } finally {
    rmSync(aside, { force: true });
  }
}

/** Takes the data directory's lock, or throws DataDirectoryInUseError naming the live owner. */
export function lockDataDirectory(directory: string): DataDirectoryLock {
  mkdirSync(directory, { recursive: true });
  const path = join(directory, LOCK_FILE_NAME);
  if (heldByThisProcess.has(path)) throw new DataDirectoryInUseError(directory, process.pid);
  const ownText = JSON.stringify({ pid: process.pid, startTime: processStartTime(process.pid) });
  // Written whole beside the lock, then hard-linked into place: a reader never sees half a lock.
  const draft = `${path}.${process.pid}.draft`;
  writeFileSync(draft, ownText, { mode: 0o600 });
  try {
    for (let round = 0; round < ACQUIRE_ROUNDS; round += 1) {
      try {
        linkSync(draft, path);
        return held(path, ownText);
      } catch (error) {
        if (errorCode(error) !== 'EEXIST') throw error;
      }
      const text = readText(path);
      if (text === undefined) continue;
      const owner = parseOwner(text);
      if (owner && isAlive(owner)) throw new DataDirectoryInUseError(directory, owner.pid);
      removeStaleLock(path, text);
    }
    throw new DataDirectoryInUseError(directory, undefined);
  } finally {
    rmSync(draft, { force: true });
  }
}

function held(path: string, ownText: string): DataDirectoryLock {
  heldByThisProcess.add(path);
  const release = () => {
    if (!heldByThisProcess.delete(path)) return;
    process.off('exit', release);
    // Never delete a lock that is no longer ours (someone removed ours by hand and started).
    if (readText(path) === ownText) unlinkSync(path);
  };
  // process.exit() skips every close(); the lock still goes with the process.
  process.on('exit', release);
  return { path, release };
}
