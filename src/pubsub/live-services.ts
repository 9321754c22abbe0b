import type { Redis } from 'ioredis';
import type { BalanceHistory } from './balance-stream.js';
import type { EventBus } from './event-bus.js';
import type { OutboxRelay } from './outbox-relay.js';
import type { VersionWatch } from './version-watch.js';

/** What live balances need, built once per process. */
export interface LiveServices {
  readonly bus: EventBus;
  readonly history: BalanceHistory;
  readonly relay: OutboxRelay;
  /** Finds streams that pub/sub left behind, with one read for all of this process's streams. */
  readonly watch: VersionWatch;
  /** The balance cache; undefined without REDIS_URL. */
  readonly cache: Redis | undefined;
}
