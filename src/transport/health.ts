import type { Express } from 'express';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Redis } from 'ioredis';

/**
 * The probes a load balancer or orchestrator asks: `/healthz` says the process answers (restart
 * it if not); `/readyz` says it can serve (the database answers, and Redis when one is
 * configured), so traffic goes elsewhere while a dependency is down without restarting anything.
 * From SIGTERM on (`draining()`), `/readyz` is 503 `draining` at once, without asking anything:
 * the load balancer stops sending new requests while the in-flight ones finish (README "Operating Tally").
 */
export function mountHealthProbes(app: Express, orm: MikroORM, redis: Redis | undefined, draining: () => boolean): void {
  app.get('/healthz', (_request, response) => {
    response.json({ status: 'ok' });
  });
  app.get('/readyz', async (_request, response) => {
    if (draining()) {
      response.status(503).json({ status: 'draining' });
      return;
    }
    const [database, redisState] = await Promise.all([
      orm.em.fork().execute('select 1').then(() => 'up', () => 'down'),
      redis ? redis.ping().then(() => 'up', () => 'down') : Promise.resolve('not configured'),
    ]);
    const ready = database === 'up' && redisState !== 'down';
    response.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', database, redis: redisState });
  });
}
