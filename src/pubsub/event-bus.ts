import { PubSub } from 'graphql-subscriptions';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import { openRedisClient, type RedisEndpoint } from '../redis.js';
import type { Channel, Channels } from './channels.js';

/**
 * Where committed events travel from the outbox relay to subscribers: Redis pub/sub when
 * REDIS_URL or REDIS_SENTINELS is set (so every instance hears every instance), an in-process PubSub otherwise.
 */
export interface EventBus {
  publish<Kind extends keyof Channels>(channel: Channel<Kind>, payload: Channels[Kind]): Promise<void>;
  /** Resolves once the subscription is live (Redis acknowledged it), so nothing after that is missed. */
  subscribe<Kind extends keyof Channels>(channel: Channel<Kind>, onEvent: (payload: Channels[Kind]) => void): Promise<() => void>;
  /** Called after the bus reconnected: pub/sub may have dropped messages while it was away. */
  onReconnect(listener: () => void): () => void;
  close(): Promise<void>;
}

export function inProcessEventBus(): EventBus {
  const pubsub = new PubSub();
  return {
    publish: (channel, payload) => pubsub.publish(channel, payload),
    async subscribe<Kind extends keyof Channels>(channel: Channel<Kind>, onEvent: (payload: Channels[Kind]) => void) {
      const id = await pubsub.subscribe(channel, onEvent as (payload: unknown) => void);
      return () => pubsub.unsubscribe(id);
    },
    onReconnect: () => () => undefined,
    close: async () => undefined,
  };
}

export function redisEventBus(endpoint: RedisEndpoint): EventBus {
  // The publisher fails fast while Redis is down (the relay keeps the event and retries); the
  // subscriber queues its SUBSCRIBE until Redis is back and resubscribes after every reconnect.
  const publisher = openRedisClient(endpoint, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000 });
  const subscriber = openRedisClient(endpoint, { autoResubscribe: true, maxRetriesPerRequest: null, connectTimeout: 2000 });
  publisher.on('error', () => undefined);
  subscriber.on('error', () => undefined);
  const pubsub = new RedisPubSub({ publisher, subscriber });
  const reconnectListeners = new Set<() => void>();
  let wasDown = false;
  subscriber.on('close', () => {
    wasDown = true;
  });
  subscriber.on('ready', () => {
    if (!wasDown) return;
    wasDown = false;
    for (const listener of reconnectListeners) listener();
  });
  return {
    publish: (channel, payload) => pubsub.publish(channel, payload),
    async subscribe<Kind extends keyof Channels>(channel: Channel<Kind>, onEvent: (payload: Channels[Kind]) => void) {
      const id = await pubsub.subscribe(channel, onEvent as (payload: unknown) => void);
      return () => pubsub.unsubscribe(id);
    },
    onReconnect(listener) {
      reconnectListeners.add(listener);
      return () => reconnectListeners.delete(listener);
    },
    async close() {
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}
