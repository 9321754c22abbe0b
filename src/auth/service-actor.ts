import { queryRows, type Database } from '../db/sql.js';
import { CHANNELS, ROLES, type Actor, type Channel, type Role } from '../ledger/types.js';

/**
 * A service's actor as its `users` row says now, read once per request: its channels never ride
 * in the access token, where they would outlive a revocation by the token's lifetime. Revoking a
 * channel (updating the row) takes effect on the service's next request. Customers' and operators'
 * powers are their role alone, which is fixed when they are provisioned, so their requests skip
 * this read. A service whose row is gone acts with no channels: it may move nothing.
 */
export async function serviceActor(database: Database, tokenActor: Actor): Promise<Actor> {
  // array_to_string: the same text on node-postgres and PGlite, whose text[] decoding differs.
  const [row] = await queryRows<{ role: string; channels: string }>(database, `select role, array_to_string(channels, ',') as channels from users where id = ?`, [tokenActor.userId]);
  if (!row || !(ROLES as readonly string[]).includes(row.role)) return { userId: tokenActor.userId, role: 'SERVICE', channels: [] };
  const channels = row.channels.split(',').filter((channel): channel is Channel => (CHANNELS as readonly string[]).includes(channel));
  return { userId: tokenActor.userId, role: row.role as Role, channels };
}
