import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Parent pid and state of every process, from /proc (Linux, as everywhere these tests run). */
function processTable(): Map<number, { parent: number; state: string }> {
  const table = new Map<number, { parent: number; state: string }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name may hold spaces and parentheses; the fields after it do not.
      const [state, parent] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      table.set(Number(name), { parent: Number(parent), state: state! });
    } catch {
      // The process ended while the table was read.
    }
  }
  return table;
}

/** Every process below `pid` (children, grandchildren, …), not counting `pid` itself. */
export function descendantsOf(pid: number): number[] {
  const table = processTable();
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const [child, entry] of table) {
      if (entry.parent === parent && !found.includes(child)) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

/** Those of `pids` that still run (a zombie, ended but not yet reaped, does not count). */
export function stillRunning(pids: readonly number[]): number[] {
  const table = processTable();
  return pids.filter((pid) => {
    const entry = table.get(pid);
    return entry !== undefined && entry.state !== 'Z';
  });
}

/** Whether something can listen on `port` right now (all interfaces, as the server listens). */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, () => probe.close(() => resolve(true)));
  });
}

/** Polls `condition` every 100 ms until it holds or `timeoutMs` has passed; says whether it held. */
export async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
