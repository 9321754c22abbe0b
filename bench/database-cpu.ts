import { readdirSync, readFileSync } from 'node:fs';

/**
 * PostgreSQL's CPU time on this machine (Linux /proc), so that a phase can say what a movement
 * cost the database as well as the server: issue 9's "risk step under 10% of a movement's server
 * time" counts both, as the step's facts and decision run in PostgreSQL.
 *
 * Every process named `postgres` (backends, WAL writer, checkpointer, autovacuum), plus what the
 * postmaster has reaped from children that already exited (cutime + cstime): the pool closes
 * idle backends, and their time must still count. Machine-wide: another database's work on the
 * same server counts too, so a quiet machine is assumed, as for every figure of the bench. Null
 * when no PostgreSQL runs here (a remote BENCH_DATABASE_URL).
 */

/** /proc reports CPU times in USER_HZ ticks, which Linux fixes at 100 per second for user space. */
const PROC_TICKS_PER_SECOND = 100;

interface ProcessTimes {
  readonly parent: number;
  /** utime + stime, in ticks. */
  readonly own: number;
  /** cutime + cstime: children the process has waited for, in ticks. */
  readonly reaped: number;
}

function timesOf(pid: string): ProcessTimes | null {
  try {
    if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'postgres') return null;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The name may hold spaces, so count fields from its closing parenthesis: state is field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { parent: Number(fields[1]), own: Number(fields[11]) + Number(fields[12]), reaped: Number(fields[13]) + Number(fields[14]) };
  } catch {
    // Not ours to read, or it ended while it was read.
    return null;
  }
}

/** Seconds of CPU every PostgreSQL process here has used, the exited ones included; null when none runs. */
export function postgresCpuSeconds(): number | null {
  const found = new Map<number, ProcessTimes>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const times = timesOf(entry);
    if (times) found.set(Number(entry), times);
  }
  if (found.size === 0) return null;
  let ticks = 0;
  for (const times of found.values()) {
    ticks += times.own;
    // The postmaster: a postgres process whose parent is not one. Its children are all of the others.
    if (!found.has(times.parent)) ticks += times.reaped;
  }
  return ticks / PROC_TICKS_PER_SECOND;
}
