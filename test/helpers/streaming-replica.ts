import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { eventually } from './process-tree.js';
import { freePort } from './redis-server.js';

/**
 * A throw-away primary with one streaming replica (hot standby), both PostgreSQL 15 from Debian's
 * binaries, on free ports in a temp directory; the machine's default cluster is never touched.
 * The standby is made by pg_basebackup -R and applies each commit `applyDelaySeconds` after it
 * happened (recovery_min_apply_delay): a follower deliberately behind. Both load
 * pg_stat_statements, so a test can ask either server which statements it ran.
 * PostgreSQL refuses to run as root, so as root both run as the `postgres` system user.
 */

const PG_BIN = '/usr/lib/postgresql/15/bin';
const SUPERUSER = 'postgres';

export interface StreamingReplica {
  primaryUrl(database: string): string;
  replicaUrl(database: string): string;
  /** A superuser client of the primary or the replica (ended by the caller). */
  client(server: 'primary' | 'replica', database: string): Promise<pg.Client>;
  /** SIGKILLs the standby's postmaster: the replica is gone, its connections reset. */
  killReplica(): void;
  /** Stops both servers (SIGKILL: nothing here needs to survive) and removes the directory. */
  stop(): Promise<void>;
}

function postgresUser(): { uid: number; gid: number } {
  if (process.getuid?.() !== 0) return { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  const id = (flag: string) => Number(execFileSync('id', [flag, SUPERUSER]).toString().trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** Starts the primary, creates `database` with pg_stat_statements, clones the standby, starts it. */
export async function startStreamingReplica(database: string, applyDelaySeconds: number): Promise<StreamingReplica> {
  const root = mkdtempSync(join(tmpdir(), 'tally-replica-'));
  const owner = postgresUser();
  chownSync(root, owner.uid, owner.gid);
  const cluster = new LocalStreamingReplica(root, owner, await freePort(), await freePort());
  try {
    await cluster.start(database, applyDelaySeconds);
    return cluster;
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}

class LocalStreamingReplica implements StreamingReplica {
  private readonly servers = new Map<'primary' | 'replica', ChildProcess>();
  private readonly logs = new Map<string, string>();
  private readonly killOnExit = () => this.killAll();

  constructor(
    private readonly root: string,
    private readonly owner: { uid: number; gid: number },
    private readonly primaryPort: number,
    private readonly replicaPort: number,
  ) {
    process.on('exit', this.killOnExit);
  }

  async start(database: string, applyDelaySeconds: number): Promise<void> {
    const primaryDirectory = join(this.root, 'primary');
    this.run('initdb', ['--no-sync', '-D', primaryDirectory, '-U', SUPERUSER, '--auth=trust', '-E', 'UTF8', '--locale=C']);
    appendFileSync(primaryDirectory + '/postgresql.conf', [
      `port = ${this.primaryPort}`,
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${this.root}'`,
      'wal_level = replica',
      'max_wal_senders = 4',
      'hot_standby = on',
      "shared_preload_libraries = 'pg_stat_statements'",
      'max_connections = 100',
      // A test cluster: durability is not what is tested here, speed on a shared machine is.
      'fsync = off',
      '',
    ].join('\n'));
    this.launch('primary', primaryDirectory);
    await this.waitForServer('primary', 'postgres');
    await this.sql('primary', 'postgres', `create database ${database}`);
    await this.sql('primary', database, 'create extension pg_stat_statements');
    const replicaDirectory = join(this.root, 'replica');
    this.run('pg_basebackup', ['-h', '127.0.0.1', '-p', String(this.primaryPort), '-U', SUPERUSER, '-D', replicaDirectory, '-R', '-X', 'stream', '--checkpoint=fast', '--no-sync']);
    appendFileSync(replicaDirectory + '/postgresql.conf', [`port = ${this.replicaPort}`, `recovery_min_apply_delay = '${applyDelaySeconds}s'`, ''].join('\n'));
    this.launch('replica', replicaDirectory);
    await this.waitForServer('replica', database);
  }

  primaryUrl(database: string): string {
    return `postgres://${SUPERUSER}@127.0.0.1:${this.primaryPort}/${database}`;
  }

  replicaUrl(database: string): string {
    return `postgres://${SUPERUSER}@127.0.0.1:${this.replicaPort}/${database}`;
  }

  async client(server: 'primary' | 'replica', database: string): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: server === 'primary' ? this.primaryUrl(database) : this.replicaUrl(database) });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  }

  killReplica(): void {
    this.kill('replica');
  }

  async stop(): Promise<void> {
    this.killAll();
    process.off('exit', this.killOnExit);
    // The postmasters' children leave at their parent's death; give them a moment before rm.
    await eventually(() => [...this.servers.values()].every((child) => child.exitCode !== null || child.signalCode !== null), 5_000);
    rmSync(this.root, { recursive: true, force: true });
  }

  private killAll(): void {
    for (const name of this.servers.keys()) this.kill(name);
  }

  /** SIGKILL to the postmaster's process group (it and every backend it forked). */
  private kill(name: 'primary' | 'replica'): void {
    const child = this.servers.get(name);
    if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }

  private run(binary: string, args: string[]): void {
    execFileSync(join(PG_BIN, binary), args, { uid: this.owner.uid, gid: this.owner.gid, cwd: this.root, stdio: 'pipe', timeout: 120_000 });
  }

  private launch(name: 'primary' | 'replica', directory: string): void {
    const child = spawn(join(PG_BIN, 'postgres'), ['-D', directory], { uid: this.owner.uid, gid: this.owner.gid, cwd: this.root, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => this.logs.set(name, ((this.logs.get(name) ?? '') + chunk.toString()).slice(-4000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.servers.set(name, child);
  }

  private async waitForServer(name: 'primary' | 'replica', database: string): Promise<void> {
    const up = await eventually(async () => {
      try {
        const client = await this.client(name, database);
        await client.end();
        return true;
      } catch {
        return false;
      }
    }, 60_000);
    if (!up) throw new Error(`the ${name} did not start:\n${this.logs.get(name) ?? ''}`);
  }

  private async sql(name: 'primary' | 'replica', database: string, statement: string): Promise<void> {
    const client = await this.client(name, database);
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  }
}
