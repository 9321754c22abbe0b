import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { UserSchema, type User } from '../entities/user.entity.js';
import { CHANNELS, type Channel, type Role } from '../ledger/types.js';
import { hashPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from './passwords.js';

export interface NewUser {
  readonly username: string;
  readonly email: string;
  readonly password: string;
  readonly role?: Role;
  readonly address?: string | null;
  /** The holder's full name ("Bob Smith"), which payers see masked; absent, the username is masked instead. */
  readonly fullName?: string | null;
  /** A service's channels (the rails it carries); at least one for a service, none for anyone else. */
  readonly channels?: readonly string[];
}

/** Room for any real name; the database checks the same bound. */
export const MAX_FULL_NAME_LENGTH = 200;

const USERNAME_SHAPE = /^[a-z0-9][a-z0-9._-]{1,62}$/;
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Why a new user cannot be added, or undefined when it can. */
export function checkNewUser(user: NewUser): string | undefined {
  if (!USERNAME_SHAPE.test(user.username)) return 'username must be 2-63 lower-case letters, digits, dots, dashes or underscores';
  if (!EMAIL_SHAPE.test(user.email)) return 'email is not an e-mail address';
  if (user.password.length < MIN_PASSWORD_LENGTH || user.password.length > MAX_PASSWORD_LENGTH) {
    return `password must be ${MIN_PASSWORD_LENGTH}-${MAX_PASSWORD_LENGTH} characters`;
  }
  const channelProblem = checkChannels(user.role ?? 'CUSTOMER', user.channels ?? []);
  if (channelProblem) return channelProblem;
  if (user.fullName !== undefined && user.fullName !== null) {
    const name = user.fullName.trim();
    if (name.length < 1 || name.length > MAX_FULL_NAME_LENGTH || /\p{Cc}/u.test(name)) {
      return `name must be 1-${MAX_FULL_NAME_LENGTH} printable characters`;
    }
  }
  return undefined;
}

/** Why these are not channels the ledger knows, or undefined when every one is. */
function checkKnownChannels(channels: readonly string[]): string | undefined {
  const unknown = channels.filter((channel) => !(CHANNELS as readonly string[]).includes(channel));
  return unknown.length > 0 ? `unknown channel ${unknown.join(', ')}: channels are ${CHANNELS.join(', ')}` : undefined;
}

/** Why a new user of this role cannot have these channels: only a service has channels, at least one, each one the ledger knows. */
export function checkChannels(role: Role, channels: readonly string[]): string | undefined {
  if (role !== 'SERVICE') return channels.length > 0 ? 'only a service has channels (--role service)' : undefined;
  if (channels.length === 0) return `a service needs --channels, one or more of ${CHANNELS.join(', ')}`;
  return checkKnownChannels(channels);
}

/**
 * Replaces a service's channels; none at all leaves it able to move nothing. Services' channels
 * are read on every request, so a revocation takes effect on the service's next request.
 */
export async function setServiceChannels(orm: MikroORM, username: string, channels: readonly string[]): Promise<readonly Channel[]> {
  const problem = checkKnownChannels(channels);
  if (problem) throw new Error(problem);
  const em = orm.em.fork();
  const user = await em.findOne(UserSchema, { username });
  if (!user) throw new Error(`no user ${username}`);
  if (user.role !== 'SERVICE') throw new Error(`${username} is not a service: only a service has channels`);
  user.channels = [...new Set(channels)] as Channel[];
  await em.flush();
  return user.channels as Channel[];
}

/** Provisions a user (users come from the bank's identity system; there is no sign-up). */
export async function addUser(orm: MikroORM, user: NewUser): Promise<User> {
  const problem = checkNewUser(user);
  if (problem) throw new Error(problem);
  const em = orm.em.fork();
  if (await em.count(UserSchema, { username: user.username })) throw new Error(`user ${user.username} already exists`);
  const created = em.create(UserSchema, {
    id: randomUUID(),
    username: user.username,
    email: user.email,
    address: user.address ?? null,
    fullName: user.fullName?.trim().replace(/\s+/gu, ' ') ?? null,
    passwordHash: await hashPassword(user.password),
    role: user.role ?? 'CUSTOMER',
    channels: [...new Set(user.channels ?? [])] as Channel[],
  });
  await em.flush();
  return created;
}
