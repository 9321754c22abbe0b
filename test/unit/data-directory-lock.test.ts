import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirectoryInUseError, LOCK_FILE_NAME, lockDataDirectory, type DataDirectoryLock } from '../../src/db/data-directory-lock.js';
import { REPOSITORY_ROOT } from '../helpers/server-process.js';

/** Another real process that takes the lock with the same code and holds it until killed. */
async function lockInAnotherProcess(directory: string): Promise<ChildProcess> {
  const script = `const { lockDataDirectory } = await import('./src/db/data-directory-lock.ts');
lockDataDirectory(${JSON.stringify(directory)}); console.log('locked'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPOSITORY_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('locked') && resolve());
    child.once('exit', (code) => reject(new Error(`the locking process exited with ${code}`)));
  });
  return child;
}

async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

describe('the embedded data directory lock', () => {
  let directory: string;
  let lockPath: string;
  const held: DataDirectoryLock[] = [];
  const children: ChildProcess[] = [];

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'tally-lock-'));
    lockPath = join(directory, LOCK_FILE_NAME);
  });

  afterEach(async () => {
    for (const lock of held.splice(0)) lock.release();
    for (const child of children.splice(0)) await killHard(child);
    await rm(directory, { recursive: true, force: true });
  });

  it('names its owner, refuses a second lock in the same process, and is gone once released', () => {
    const lock = lockDataDirectory(directory);
    held.push(lock);
    expect(JSON.parse(readFileSync(lockPath, 'utf8'))).toMatchObject({ pid: process.pid });
    expect(() => lockDataDirectory(directory)).toThrow(DataDirectoryInUseError);
    lock.release();
    expect(existsSync(lockPath)).toBe(false);
    lock.release(); // a second release is harmless
    held.push(lockDataDirectory(directory));
    expect(existsSync(lockPath)).toBe(true);
  });

  it('refuses while another live process holds it, naming that pid, and takes it over once that process is SIGKILLed', { timeout: 60_000 }, async () => {
    const owner = await lockInAnotherProcess(directory);
    children.push(owner);
    let refusal: unknown;
    try {
      held.push(lockDataDirectory(directory));
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(DataDirectoryInUseError);
    expect((refusal as DataDirectoryInUseError).ownerPid).toBe(owner.pid);
    expect((refusal as Error).message).toBe(
      `the data directory ${directory} is in use by another Tally process (pid ${owner.pid}); stop it, or set TALLY_DATA_DIR to another directory`,
    );

    await killHard(owner);
    // SIGKILL runs no exit handler: the dead owner's lock is still there, and is taken over.
    expect(JSON.parse(readFileSync(lockPath, 'utf8'))).toMatchObject({ pid: owner.pid });
    held.push(lockDataDirectory(directory));
    expect(JSON.parse(readFileSync(lockPath, 'utf8'))).toMatchObject({ pid: process.pid });
  });

  it('takes over a lock whose pid now belongs to another process (a reused pid), or that is unreadable', () => {
    const other = spawn('sleep', ['30']);
    children.push(other);
    writeFileSync(lockPath, JSON.stringify({ pid: other.pid, startTime: '1' }));
    const lock = lockDataDirectory(directory);
    expect(JSON.parse(readFileSync(lockPath, 'utf8'))).toMatchObject({ pid: process.pid });
    lock.release();

    writeFileSync(lockPath, 'not a lock');
    held.push(lockDataDirectory(directory));
    expect(JSON.parse(readFileSync(lockPath, 'utf8'))).toMatchObject({ pid: process.pid });
  });

  it('takes over a lock naming its own pid that it does not hold (a container restarted with the same pid)', () => {
    writeFileSync(lockPath, JSON.stringify({ pid: process.pid, startTime: null }));
    held.push(lockDataDirectory(directory));
    expect(readFileSync(lockPath, 'utf8')).not.toContain('null');
  });
});
