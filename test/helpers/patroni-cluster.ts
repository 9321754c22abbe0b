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

/** Where the cluster's pieces listen; every port was free when it was picked. */
interface Ports {
  readonly etcdClient: number;
  readonly etcdPeer: number;
  readonly proxy: number;
}

/** Starts etcd, bootstraps node1, clones node2 from it, then puts HAProxy in front; stops all on failure. */
export async function startPatroniCluster(): Promise<PatroniCluster> {
  ensureHaPackages();
  const root = mkdtempSync(join(tmpdir(), 'tally-patroni-'));
  const owner = postgresUser();
  chownSync(root, owner.uid, owner.gid);
  const ports: Ports = { etcdClient: await freePort(), etcdPeer: await freePort(), proxy: await freePort() };
  const nodes: PatroniNode[] = [];
  for (const name of ['node1', 'node2']) {
    const nodeDirectory = join(root, name);
    mkdirSync(nodeDirectory, { mode: 0o700 });
    chownSync(nodeDirectory, owner.uid, owner.gid);
    const node = { name, pgPort: await freePort(), restPort: await freePort(), dataDirectory: join(nodeDirectory, 'data') };
    const configFile = join(nodeDirectory, 'patroni.yml');
    writeFileSync(configFile, patroniConfig(node, nodeDirectory, ports.etcdClient));
    chownSync(configFile, owner.uid, owner.gid);
    nodes.push(node);
  }
  const cluster = new LocalPatroniCluster(root, owner, ports, nodes);
  try {
    await cluster.start();
    return cluster;
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}

class LocalPatroniCluster implements PatroniCluster {
  private readonly children = new Set<ChildProcess>();
  private readonly patronis = new Map<string, ChildProcess>();
  /** The tail of each process's output, for the message when something does not come up. */
  private readonly logs = new Map<string, string>();
  private readonly killOnExit = () => void this.killEverything();

  constructor(
    private readonly root: string,
    private readonly owner: { uid: number; gid: number },
    private readonly ports: Ports,
    readonly nodes: readonly PatroniNode[],
  ) {
    process.on('exit', this.killOnExit);
  }

  async start(): Promise<void> {
    const { etcdClient, etcdPeer } = this.ports;
    this.launch('etcd', '/usr/bin/etcd', [
      '--name', 'etcd1',
      '--data-dir', join(this.root, 'etcd'),
      '--listen-client-urls', `http://127.0.0.1:${etcdClient}`,
      '--advertise-client-urls', `http://127.0.0.1:${etcdClient}`,
      '--listen-peer-urls', `http://127.0.0.1:${etcdPeer}`,
      '--initial-advertise-peer-urls', `http://127.0.0.1:${etcdPeer}`,
      '--initial-cluster', `etcd1=http://127.0.0.1:${etcdPeer}`,
      '--log-level', 'warn',
    ], false);
    const etcdUp = await eventually(() => fetch(`http://127.0.0.1:${etcdClient}/health`).then((response) => response.ok, () => false), 20_000);
    if (!etcdUp) throw new Error(`etcd did not start: ${this.logs.get('etcd') ?? ''}`);
    // The first node bootstraps alone, so it is the one that runs initdb; the second clones it.
    this.startNode(this.nodes[0]!);
    // initdb and the first start take seconds alone, far longer beside a whole suite on two cores.
    if (!(await eventually(async () => (await this.leader()) !== undefined, 90_000))) throw new Error(`node1 did not bootstrap:\n${this.logs.get('node1') ?? ''}`);
    this.startNode(this.nodes[1]!);
    const haproxyFile = join(this.root, 'haproxy.cfg');
    writeFileSync(haproxyFile, haproxyConfig(this.ports.proxy, this.nodes));
    this.launch('haproxy', '/usr/sbin/haproxy', ['-db', '-f', haproxyFile], false);
    await this.waitUntilHealthy(60_000);
  }

  databaseUrl(database: string): string {
    return `postgres://${CLUSTER_SUPERUSER}@127.0.0.1:${this.ports.proxy}/${database}`;
  }

  async members(): Promise<ClusterMember[]> {
    for (const node of this.nodes) {
      try {
        const response = await fetch(`http://127.0.0.1:${node.restPort}/cluster`, { signal: AbortSignal.timeout(1000) });
        return ((await response.json()) as { members: ClusterMember[] }).members;
      } catch {
        // That node's REST API is down: ask the other.
      }
    }
    return [];
  }

  async leader(): Promise<PatroniNode | undefined> {
    const leader = (await this.members()).find((member) => member.role === 'leader' && member.state === 'running');
    return this.nodes.find((node) => node.name === leader?.name);
  }

  async waitUntilHealthy(timeoutMs: number): Promise<void> {
    const healthy = await eventually(async () => {
      const members = await this.members();
      return members.some((member) => member.role === 'leader' && member.state === 'running') && members.some((member) => member.role === 'sync_standby' && ['streaming', 'running'].includes(member.state));
    }, timeoutMs);
    if (!healthy) throw new Error(`the Patroni cluster did not become healthy: ${JSON.stringify(await this.members())}\n${[...this.logs].map(([name, text]) => `--- ${name}\n${text.slice(-3000)}`).join('\n')}`);
  }

  killPostgres(node: PatroniNode): number {
    const pid = postmasterPid(node);
    if (pid === undefined) throw new Error(`${node.name}'s PostgreSQL is not running`);
    process.kill(pid, 'SIGKILL');
    return pid;
  }

  killNode(node: PatroniNode): void {
    const patroni = this.patronis.get(node.name);
    if (patroni?.pid) process.kill(patroni.pid, 'SIGKILL');
    this.killPostgres(node);
  }

  startNode(node: PatroniNode): void {
    this.patronis.set(node.name, this.launch(node.name, '/usr/bin/patroni', [join(this.root, node.name, 'patroni.yml')], true));
  }

  async patchConfig(settings: Record<string, unknown>): Promise<void> {
    const leader = (await this.leader()) ?? this.nodes[0]!;
    const response = await fetch(`http://127.0.0.1:${leader.restPort}/config`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(settings) });
    if (!response.ok) throw new Error(`PATCH /config answered ${response.status}: ${await response.text()}`);
  }

  async stop(): Promise<void> {
    process.off('exit', this.killOnExit);
    const pids = this.killEverything();
    await eventually(() => stillRunning(pids).length === 0, 10_000);
    rmSync(this.root, { recursive: true, force: true });
  }

  private launch(name: string, command: string, args: string[], asPostgres: boolean): ChildProcess {
    // detached: its own process group, so stop() can kill it with everything it forked.
    const child = spawn(command, args, { cwd: this.root, detached: true, stdio: ['ignore', 'pipe', 'pipe'], ...(asPostgres ? this.owner : {}) });
    const append = (chunk: Buffer) => this.logs.set(name, ((this.logs.get(name) ?? '') + chunk.toString()).slice(-20_000));
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    child.on('error', (error) => append(Buffer.from(String(error))));
    this.children.add(child);
    return child;
  }

  /**
   * SIGKILLs every process the cluster started and returns their pids. Synchronous, so it also
   * runs from the test process's 'exit' event: a test that dies leaves no cluster behind.
   * Patroni puts each postmaster in a session of its own, so its descendants and the
   * postmaster.pid files are read before any group is killed.
   */
  private killEverything(): number[] {
    const pids = [...this.children].flatMap((child) => (child.pid ? [child.pid, ...descendantsOf(child.pid)] : []));
    for (const node of this.nodes) pids.push(...[postmasterPid(node)].filter((pid): pid is number => pid !== undefined));
    for (const child of this.children) if (child.pid && child.exitCode === null && child.signalCode === null) tryKill(-child.pid);
    for (const pid of pids) tryKill(pid);
    return pids;
  }
}

/** The postmaster's pid from its data directory, or undefined when it is not running. */
function postmasterPid(node: PatroniNode): number | undefined {
  try {
    return Number(readFileSync(join(node.dataDirectory, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
}

function tryKill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
