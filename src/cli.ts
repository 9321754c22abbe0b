import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.js';
import { migrate, openOrm } from './db/orm.js';
import { addUser } from './auth/users.js';

const USAGE = 'usage: npm run tally -- user add <username> --email <email> [--role operator] [--name "Bob Smith"] [--address <text>]  (password on standard input)';

async function readPasswordLine(): Promise<string> {
  const lines = createInterface({ input: process.stdin, terminal: false });
  for await (const line of lines) {
    lines.close();
    return line;
  }
  throw new Error('no password on standard input');
}

/** `npm run tally -- user add …`: provisions a user with the server's own configuration. */
async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { email: { type: 'string' }, role: { type: 'string' }, address: { type: 'string' }, name: { type: 'string' } },
  });
  const [noun, verb, username] = positionals;
  if (noun !== 'user' || verb !== 'add' || !username || !values.email) throw new Error(USAGE);
  const role = values.role === undefined ? 'CUSTOMER' : values.role.toUpperCase();
  if (role !== 'CUSTOMER' && role !== 'OPERATOR') throw new Error('--role must be customer or operator');
  const password = await readPasswordLine();

  const orm = await openOrm(loadConfig());
  try {
    await migrate(orm);
    const user = await addUser(orm, { username, email: values.email, password, role, address: values.address ?? null, fullName: values.name ?? null });
    process.stdout.write(`added ${user.role.toLowerCase()} ${user.username} (${user.id})\n`);
  } finally {
    await orm.close(true);
  }
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? `configuration error: ${error.message}` : error instanceof Error ? error.message : String(error);
  process.stderr.write(`tally: ${message}\n`);
  process.exit(1);
});
