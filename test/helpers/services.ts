import net from 'node:net';

/**
 * Where the tests find PostgreSQL and Redis: DATABASE_URL / REDIS_URL when set, otherwise the
 * local servers on their default ports (as this machine kind and CI start them).
 */
export const ADMIN_DATABASE_URL = process.env.DATABASE_URL || 'postgres://root@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

/** The URL of another database on the same server. */
export function databaseUrl(name: string): string {
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Resolves when a TCP connection to host:port opens, rejects after `timeoutMs`. */
export function canConnect(urlText: string, defaultPort: number, timeoutMs = 2000): Promise<boolean> {
  const url = new URL(urlText);
  return new Promise((resolve) => {
    const socket = net.connect({ host: url.hostname || '127.0.0.1', port: Number(url.port || defaultPort) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
