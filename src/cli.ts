import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.js';
import { migrate, openOrm } from './db/orm.js';
import { addUser, checkChannels, setServiceChannels } from './auth/users.js';
import { ROLES, type Role } from './ledger/types.js';
import { checkJournalOnce } from './journal/journal-status.js';

// One line, like every refusal of the CLI.
const USAGE =
  'usage: npm run tally -- user add <username> (--email <email> [--role customer|operator] | --role service --channels ATM,CASH [--email <email>]) ' +
  '[--name "Bob Smith"] [--address <text>]  (password on standard input); npm run tally -- user channels <service> --channels ATM[,…] (or "" for none); ' +
  'npm run tally -- journal verify';

/** A service is a system, not a person: without --email it gets an address that can never be delivered (RFC 2606). */
function serviceEmail(username: string): string {
  return `${username}@service.invalid`;
}

function parseRole(given: string | undefined): Role {
  const role = given === undefined ? 'CUSTOMER' : given.toUpperCase();
  if (!(ROLES as readonly string[]).includes(role)) throw new Error('--role must be customer, operator or service');
  return role as Role;
}

/** `--channels ATM,CASH`: upper-cased, blanks dropped; addUser checks them against the ledger's channels. */
function parseChannels(given: string | undefined): string[] {
  return (given ?? '').split(',').map((channel) => channel.trim().toUpperCase()).filter((channel) => channel.length > 0);
}

async function readPasswordLine(): Promise<string> {
  const lines = createInterface({ input: process.stdin, terminal: false });
  for await (const line of lines) {
    lines.close();
    return line;
  }
  throw new Error('no password on standard input');
}

type Options = { email?: string; role?: string; address?: string; name?: string; channels?: string };

/** `npm run tally -- user add …`: provisions a user with the server's own configuration. */
async function addCommand(username: string, values: Options): Promise<void> {
  const role = parseRole(values.role);
  const email = values.email ?? (role === 'SERVICE' ? serviceEmail(username) : undefined);
  if (!email) throw new Error(USAGE);
  const channels = parseChannels(values.channels);
  // Before the password is read and anything is opened: a typo in a channel is said at once.
  const channelProblem = checkChannels(role, channels);
  if (channelProblem) throw new Error(channelProblem);
  const password = await readPasswordLine();

  const orm = await openOrm(loadConfig());
  try {
    await migrate(orm);
    const user = await addUser(orm, { username, email, password, role, channels, address: values.address ?? null, fullName: values.name ?? null });
    const rails = user.channels.length > 0 ? ` on ${user.channels.join(', ')}` : '';
    process.stdout.write(`added ${user.role.toLowerCase()} ${user.username}${rails} (${user.id})\n`);
  } finally {
    await orm.close(true);
  }
}

/** `npm run tally -- user channels <service> --channels …`: grants or revokes a service's rails. */
async function channelsCommand(username: string, values: Options): Promise<void> {
  if (values.channels === undefined) throw new Error(USAGE);
  const channels = parseChannels(values.channels);
  const orm = await openOrm(loadConfig());
  try {
    await migrate(orm);
    const now = await setServiceChannels(orm, username, channels);
    process.stdout.write(`${username} now moves money on ${now.length > 0 ? now.join(', ') : 'no channel'}\n`);
  } finally {
    await orm.close(true);
  }
}

/**
 * `npm run tally -- journal verify`: replays the journal's chain from the database (README
 * "Auditing the journal"). Exit 0 when it holds; 1 naming the first broken position.
 */
async function journalVerifyCommand(): Promise<boolean> {
  const orm = await openOrm(loadConfig());
  try {
    await migrate(orm);
    const status = await checkJournalOnce(orm);
    const backlog = `${status.unsealed} record(s) not sealed yet, oldest ${status.lagSeconds.toFixed(1)} s`;
    if (status.brokenAt !== null) {
      process.stdout.write(`journal broken at position ${status.brokenAt}: ${status.problem ?? 'unknown'} (sealed head ${status.sealedPosition}; ${backlog})\n`);
      return false;
    }
    process.stdout.write(`journal holds: ${status.sealedPosition} position(s), head ${status.headHash}; ${backlog}\n`);
    return true;
  } finally {
    await orm.close(true);
  }
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { email: { type: 'string' }, role: { type: 'string' }, address: { type: 'string' }, name: { type: 'string' }, channels: { type: 'string' } },
  });
  const [noun, verb, username] = positionals;
  if (noun === 'journal' && verb === 'verify' && !username) {
    if (!(await journalVerifyCommand())) process.exitCode = 1;
    return;
  }
  if (noun !== 'user' || !username) throw new Error(USAGE);
  if (verb === 'add') return addCommand(username, values);
  if (verb === 'channels') return channelsCommand(username, values);
  throw new Error(USAGE);
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? `configuration error: ${error.message}` : error instanceof Error ? error.message : String(error);
  process.stderr.write(`tally: ${message}\n`);
  process.exit(1);
});
