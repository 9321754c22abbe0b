import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { descendantsOf, eventually, stillRunning } from './process-tree.js';
import { freePort } from './redis-server.js';

/**
 * A throw-away high-availability PostgreSQL on this machine: one etcd (Patroni's DCS), two
 * PostgreSQL 15 nodes managed by Patroni in synchronous mode strict, and HAProxy in front that
 * sends connections to whichever node Patroni's REST API calls the primary. Every piece lives in
 * its own temp directory on free ports; the machine's default cluster is never touched.
 * PostgreSQL refuses to run as root, so as root Patroni runs as the `postgres` system user.
 */

const PG_BIN = '/usr/lib/postgresql/15/bin';
const PACKAGES = ['patroni', 'haproxy', 'etcd-server'] as const;
const BINARIES = ['/usr/bin/patroni', '/usr/sbin/haproxy', '/usr/bin/etcd'] as const;
const INSTALL_COMMAND = `apt-get update && apt-get install -y ${PACKAGES.join(' ')}`;
const SCOPE = 'tally-ha';
/** Patroni's superuser, over TCP with trust (a test cluster on 127.0.0.1 only). */
export const CLUSTER_SUPERUSER = 'postgres';

/**
 * Installs Debian's patroni, haproxy and etcd-server when one is missing (one progress line), or
 * stops the test with one line naming the command when it cannot.
 */
export function ensureHaPackages(): void {
  if (BINARIES.every((binary) => existsSync(binary))) return;
  process.stderr.write(`failover tests: installing ${PACKAGES.join(', ')} with: ${INSTALL_COMMAND}\n`);
  try {
    execFileSync('apt-get', ['update'], { stdio: 'ignore', timeout: 300_000 });
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...PACKAGES], { stdio: 'ignore', timeout: 600_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  } catch {
    // Fall through to the one-line message below.
  }
  if (!BINARIES.every((binary) => existsSync(binary))) throw new Error(`failover tests need Patroni, HAProxy and etcd; install them with: ${INSTALL_COMMAND}`);
  if (!existsSync(join(PG_BIN, 'postgres'))) throw new Error(`failover tests need PostgreSQL 15 binaries in ${PG_BIN}; install them with: apt-get install -y postgresql-15`);
}

export interface PatroniNode {
  readonly name: string;
  readonly pgPort: number;
  readonly restPort: number;
  readonly dataDirectory: string;
}

/** What a node's REST API says of the cluster (GET /cluster). */
export interface ClusterMember {
  readonly name: string;
  readonly role: string;
  readonly state: string;
  readonly lag?: number | string;
}

export interface PatroniCluster {
  /** The URL of a database through HAProxy: what Tally's DATABASE_URL is. */
  databaseUrl(database: string): string;
  readonly nodes: readonly PatroniNode[];
  /** The members as the DCS sees them now. */
  members(): Promise<ClusterMember[]>;
  /** The node Patroni calls leader now, if any. */
  leader(): Promise<PatroniNode | undefined>;
  /** Resolves once there is a running leader and a streaming synchronous standby. */
  waitUntilHealthy(timeoutMs: number): Promise<void>;
  /** SIGKILLs the node's postmaster (not its Patroni, which notices and acts); returns the pid. */
  killPostgres(node: PatroniNode): number;
  /** SIGKILLs the node's Patroni and then its postmaster: the node is gone until startNode. */
  killNode(node: PatroniNode): void;
  startNode(node: PatroniNode): void;
  /** PATCH /config on a node's REST API: a dynamic setting for the whole cluster. */
  patchConfig(settings: Record<string, unknown>): Promise<void>;
  /** Kills everything it started (process groups, then stragglers) and removes the temp directory. */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whom Patroni runs as: the `postgres` system user when the tests run as root, else the tests' own user. */
function postgresUser(): { uid: number; gid: number } {
  if (process.getuid?.() !== 0) return { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  const id = (flag: string) => Number(execFileSync('id', [flag, CLUSTER_SUPERUSER]).toString().trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** Patroni's YAML (JSON is YAML) for one node; short ttl and loop_wait so a failover takes seconds. */
function patroniConfig(node: PatroniNode, nodeDirectory: string, etcdPort: number): string {
  return JSON.stringify({
    scope: SCOPE,
    name: node.name,
    log: { level: 'WARNING' },
    restapi: { listen: `127.0.0.1:${node.restPort}`, connect_address: `127.0.0.1:${node.restPort}` },
    etcd3: { hosts: [`127.0.0.1:${etcdPort}`] },
    bootstrap: {
      dcs: {
        ttl: 8,
        loop_wait: 1,
        retry_timeout: 3,
        maximum_lag_on_failover: 1_048_576,
        // Fail over at once when the leader's PostgreSQL dies, rather than restart it in place.
        primary_start_timeout: 0,
        synchronous_mode: true,
        synchronous_mode_strict: true,
        postgresql: {
          use_pg_rewind: true,
          parameters: { wal_level: 'replica', hot_standby: 'on', max_wal_senders: 5, max_replication_slots: 5, wal_log_hints: 'on', max_connections: 100 },
        },
      },
      initdb: [{ encoding: 'UTF8' }, { locale: 'C' }],
      pg_hba: ['local all all trust', 'host all all 127.0.0.1/32 trust', 'host replication all 127.0.0.1/32 trust'],
    },
    postgresql: {
      listen: `127.0.0.1:${node.pgPort}`,
      connect_address: `127.0.0.1:${node.pgPort}`,
      data_dir: node.dataDirectory,
      bin_dir: PG_BIN,
      pgpass: join(nodeDirectory, 'pgpass'),
      authentication: {
        superuser: { username: CLUSTER_SUPERUSER, password: 'postgres' },
        replication: { username: 'replicator', password: 'replicator' },
        rewind: { username: 'rewinder', password: 'rewinder' },
      },
      parameters: { unix_socket_directories: nodeDirectory, fsync: 'on' },
    },
  });
}

/** HAProxy in TCP mode, each node checked on Patroni's /primary (200 only on the leader). */
function haproxyConfig(port: number, nodes: readonly PatroniNode[]): string {
  return [
    'global',
    '  maxconn 400',
    'defaults',
    '  mode tcp',
    '  timeout connect 2s',
    '  timeout client 30m',
    '  timeout server 30m',
    '  timeout check 1s',
    'listen postgres',
    `  bind 127.0.0.1:${port}`,
    '  option httpchk GET /primary',
    '  http-check expect status 200',
    // A node marked down has its sessions cut, so no client keeps talking to a demoted node.
    '  default-server inter 500ms fall 2 rise 1 on-marked-down shutdown-sessions',
    ...nodes.map((node) => `  server ${node.name} 127.0.0.1:${node.pgPort} maxconn 200 check port ${node.restPort}`),
    '',
  ].join('\n');
}

export async function startPatroniCluster(): Promise<PatroniCluster> {
  ensureHaPackages();
  const root = mkdtempSync(join(tmpdir(), 'tally-patroni-'));
  const owner = postgresUser();
  chownSync(root, owner.uid, owner.gid);
  const children = new Set<ChildProcess>();
  const patronis = new Map<string, ChildProcess>();
  const logs = new Map<string, string>();

  const launch = (name: string, command: string, args: string[], asPostgres: boolean): ChildProcess => {
    // detached: its own process group, so stop() can kill it with everything it forked.
    const child = spawn(command, args, { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'], ...(asPostgres ? owner : {}), env: { ...process.env, PATRONI_LOG_LEVEL: 'WARNING' } });
    const append = (chunk: Buffer) => logs.set(name, ((logs.get(name) ?? '') + chunk.toString()).slice(-20_000));
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    child.on('error', (error) => append(Buffer.from(String(error))));
    children.add(child);
    return child;
  };

  const [etcdClient, etcdPeer, proxyPort] = [await freePort(), await freePort(), await freePort()];
  const nodes: PatroniNode[] = [];
  for (const name of ['node1', 'node2']) {
    const nodeDirectory = join(root, name);
    mkdirSync(nodeDirectory, { mode: 0o700 });
    chownSync(nodeDirectory, owner.uid, owner.gid);
    nodes.push({ name, pgPort: await freePort(), restPort: await freePort(), dataDirectory: join(nodeDirectory, 'data') });
  }

  const cluster: PatroniCluster = {
    nodes,
    databaseUrl: (database) => `postgres://${CLUSTER_SUPERUSER}@127.0.0.1:${proxyPort}/${database}`,
    members: async () => {
      for (const node of nodes) {
        try {
          const response = await fetch(`http://127.0.0.1:${node.restPort}/cluster`, { signal: AbortSignal.timeout(1000) });
          return ((await response.json()) as { members: ClusterMember[] }).members;
        } catch {
          // That node's REST API is down: ask the other.
        }
      }
      return [];
    },
    leader: async () => {
      const leader = (await cluster.members()).find((member) => member.role === 'leader' && member.state === 'running');
      return nodes.find((node) => node.name === leader?.name);
    },
    waitUntilHealthy: async (timeoutMs) => {
      const healthy = await eventually(async () => {
        const members = await cluster.members();
        return members.some((member) => member.role === 'leader' && member.state === 'running') && members.some((member) => member.role === 'sync_standby' && ['streaming', 'running'].includes(member.state));
      }, timeoutMs);
      if (!healthy) throw new Error(`the Patroni cluster did not become healthy: ${JSON.stringify(await cluster.members())}\n${[...logs].map(([name, text]) => `--- ${name}\n${text.slice(-3000)}`).join('\n')}`);
    },
    killPostgres: (node) => {
      const pid = Number(readFileSync(join(node.dataDirectory, 'postmaster.pid'), 'utf8').split('\n')[0]);
      process.kill(pid, 'SIGKILL');
      return pid;
    },
    killNode: (node) => {
      const patroni = patronis.get(node.name);
      if (patroni?.pid) process.kill(patroni.pid, 'SIGKILL');
      cluster.killPostgres(node);
    },
    startNode: (node) => {
      const configFile = join(root, node.name, 'patroni.yml');
      patronis.set(node.name, launch(node.name, '/usr/bin/patroni', [configFile], true));
    },
    patchConfig: async (settings) => {
      const leader = (await cluster.leader()) ?? nodes[0]!;
      const response = await fetch(`http://127.0.0.1:${leader.restPort}/config`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(settings) });
      if (!response.ok) throw new Error(`PATCH /config answered ${response.status}: ${await response.text()}`);
    },
    stop: async () => {
      process.off('exit', killEverything);
      const pids = killEverything();
      await eventually(() => stillRunning(pids).length === 0, 10_000);
      rmSync(root, { recursive: true, force: true });
    },
  };

  /**
   * SIGKILLs every process the cluster started and returns their pids. Synchronous, so it also
   * runs from the test process's 'exit' event: a test that dies leaves no cluster behind.
   * Patroni puts each postmaster in a session of its own, so its descendants and the
   * postmaster.pid files are read before any group is killed.
   */
  function killEverything(): number[] {
    const pids = [...children].flatMap((child) => (child.pid ? [child.pid, ...descendantsOf(child.pid)] : []));
    for (const node of nodes) {
      try {
        pids.push(Number(readFileSync(join(node.dataDirectory, 'postmaster.pid'), 'utf8').split('\n')[0]));
      } catch {
        // No postmaster.pid: that PostgreSQL is not running.
      }
    }
    for (const child of children) if (child.pid && child.exitCode === null && child.signalCode === null) tryKill(-child.pid);
    for (const pid of pids) tryKill(pid);
    return pids;
  }
  process.on('exit', killEverything);

  try {
    launch('etcd', '/usr/bin/etcd', [
      '--name', 'etcd1',
      '--data-dir', join(root, 'etcd'),
      '--listen-client-urls', `http://127.0.0.1:${etcdClient}`,
      '--advertise-client-urls', `http://127.0.0.1:${etcdClient}`,
      '--listen-peer-urls', `http://127.0.0.1:${etcdPeer}`,
      '--initial-advertise-peer-urls', `http://127.0.0.1:${etcdPeer}`,
      '--initial-cluster', `etcd1=http://127.0.0.1:${etcdPeer}`,
      '--log-level', 'warn',
    ], false);
    const etcdUp = await eventually(async () => (await fetch(`http://127.0.0.1:${etcdClient}/health`).then((response) => response.ok, () => false)), 20_000);
    if (!etcdUp) throw new Error(`etcd did not start: ${logs.get('etcd') ?? ''}`);
    for (const node of nodes) {
      const configFile = join(root, node.name, 'patroni.yml');
      writeFileSync(configFile, patroniConfig(node, join(root, node.name), etcdClient));
      chownSync(configFile, owner.uid, owner.gid);
    }
    // The first node bootstraps alone, so it is the one that runs initdb; the second clones it.
    cluster.startNode(nodes[0]!);
    if (!(await eventually(async () => (await cluster.leader()) !== undefined, 40_000))) throw new Error(`node1 did not bootstrap:\n${logs.get('node1') ?? ''}`);
    cluster.startNode(nodes[1]!);
    const haproxyFile = join(root, 'haproxy.cfg');
    writeFileSync(haproxyFile, haproxyConfig(proxyPort, nodes));
    launch('haproxy', '/usr/sbin/haproxy', ['-db', '-f', haproxyFile], false);
    await cluster.waitUntilHealthy(60_000);
    return cluster;
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}

function tryKill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
