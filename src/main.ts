import { ConfigError, loadConfig, type Config } from './config.js';
import type { DemoCredential } from './demo/demo-data.js';
import { assertPortFree } from './transport/listen.js';
import { createLogger } from './logger.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { StartRefusal } from './start-refusal.js';
import { WEB_APP_DIR } from './transport/web-app.js';
import { shutDownGracefully } from './graceful-shutdown.js';
import { isClusterWorker, reportListening, runPrimary, workerPlan, type WorkerPlan } from './server-workers.js';

function workersLine(plan: WorkerPlan): string[] {
  if (plan.reason) return [`  Workers: 1 (${plan.reason})`];
  return plan.workers > 1 ? [`  Workers: ${plan.workers} processes on one port (WEB_CONCURRENCY)`] : [];
}

function banner(config: Config, url: string, demoUsers: readonly DemoCredential[], plan: WorkerPlan): string {
  const lines = [
    '',
    `  Tally is serving the ledger API at ${url}/graphql`,
    config.graphiqlEnabled ? `  GraphiQL: open ${url}/graphql in a browser` : '  GraphiQL: off (set GRAPHIQL=true to turn it on)',
    existsSync(join(WEB_APP_DIR, 'index.html')) ? `  Web app: open ${url}/app in a browser` : '  Web app: not built (run npm run build:web; npm start does it when missing)',
    `  Database: ${config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite under ${config.dataDirectory}`}`,
    ...workersLine(plan),
  ];
  if (demoUsers.length > 0) {
    lines.push('  Demo users (embedded mode only):');
    for (const user of demoUsers) lines.push(`    username: ${user.username.padEnd(11)} password: ${user.password}${user.label ? `   (${user.label})` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`tally: configuration error: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const plan = workerPlan(config);
  const logger = createLogger(config.logLevel);
  // A taken port is said at once, before seconds of loading the app and opening the database
  // (a worker's primary has checked it already, and holds it).
  if (!isClusterWorker()) await assertPortFree(config.port);
  if (plan.workers > 1 && !isClusterWorker()) {
    await runPrimary(plan, logger, (url) => banner(config, url, [], plan));
    return;
  }
  const [{ startApp }, { ensureDemoData }] = await Promise.all([import('./app.js'), import('./demo/demo-data.js')]);
  const app = await startApp(config, logger);
  // Never on a configured database: demo users there would be real users with printed passwords.
  const demoUsers = config.databaseUrl ? [] : await ensureDemoData(app.orm, config.dataDirectory);
  // A worker's primary prints the banner once every worker listens.
  if (isClusterWorker()) reportListening(app.url);
  else process.stdout.write(banner(config, app.url, demoUsers, plan));
  logger.info({ url: app.url }, 'listening');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    void shutDownGracefully(app, config, logger, signal).then((code) => process.exit(code));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  // Something in the way (a port, a data directory in use) is said as it is; anything else failed.
  const line = error instanceof StartRefusal ? error.message : `failed to start: ${error instanceof Error ? error.message : String(error)}`;
  process.stderr.write(`tally: ${line}\n`);
  process.exit(1);
});
