import { createServer, type Server } from 'node:net';
import { StartRefusal } from '../start-refusal.js';

export class PortInUseError extends StartRefusal {
  constructor(readonly port: number) {
    super(`port ${port} is already in use (set PORT to another port)`);
    this.name = 'PortInUseError';
  }
}

function isAddressInUse(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';
}

/**
 * Listens on `port` (all interfaces, as `server.listen(port)` does) and resolves once listening.
 * A taken port rejects with PortInUseError instead of emitting 'error' (which, with graphql-ws's
 * `ws` server on the http server, was logged as a stack trace while the start waited forever).
 */
export function listen(server: Server, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => {
      server.off('listening', onListening);
      reject(isAddressInUse(error) ? new PortInUseError(port) : error);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port);
  });
}

/**
 * Refuses at once when `port` is taken, before anything else is opened: the embedded database
 * takes seconds to boot and must not be opened beside a server that already runs. Port 0 (any
 * free port) cannot be taken. The real listen still reports a port taken in between.
 */
export async function assertPortFree(port: number): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  await listen(probe, port);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}
