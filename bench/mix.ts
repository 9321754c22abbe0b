import type { GraphQLClient } from './graphql-client.js';
import type { MovementOutcome } from './operations.js';
import type { Sessions } from './sessions.js';

/** A signed-in bench customer and the accounts it owns. */
export interface BenchUser {
  readonly username: string;
  /** The rails service (cash, ATM, card) that posts this user's deposits, ATM withdrawals and card holds: they are the rails' to post, not the customer's. */
  readonly cashService: string;
  readonly accountIds: string[];
}

/**
 * What a closed-loop scenario over the funded 10,000 accounts sends (bench/run.ts runs it): its
 * name in the report, the next request of its mix, and the suffix of its results file.
 * Each acknowledged success is one stored transaction (a batch counts its committed items), so
 * "one stored per acknowledged success" holds.
 */
export interface Mix {
  readonly scenario: string;
  readonly next: (client: GraphQLClient, sessions: Sessions, users: readonly BenchUser[], allAccountIds: readonly string[]) => Promise<MovementOutcome>;
  /** Appended to the results file's name (latest.json gives latest<suffix>); none for the movements mix. */
  readonly resultsSuffix?: string;
}

export function pick<Item>(items: readonly Item[]): Item {
  const item = items[Math.floor(Math.random() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

/** A random amount of 1 to `maxMinor` minor units, as the Decimal scalar's text. */
export function randomAmount(maxMinor: number): string {
  return decimalOf(1 + Math.floor(Math.random() * maxMinor));
}

export function decimalOf(minor: number): string {
  return `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, '0')}`;
}
