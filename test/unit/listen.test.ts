import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { assertPortFree, listen, PortInUseError } from '../../src/transport/listen.js';

const close = (server: Server) => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));

describe('listening on a port', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await close(server);
  });

  async function takenPort(): Promise<number> {
    const holder = createServer();
    servers.push(holder);
    await new Promise<void>((resolve) => holder.listen(0, resolve));
    return (holder.address() as AddressInfo).port;
  }

  it('rejects with PortInUseError and its one-line message when the port is taken (it used to wait forever)', async () => {
    const port = await takenPort();
    const server = createHttpServer();
    servers.push(server);
    const error = await listen(server, port).then(() => undefined, (rejection: unknown) => rejection);
    expect(error).toBeInstanceOf(PortInUseError);
    expect((error as Error).message).toBe(`port ${port} is already in use (set PORT to another port)`);
    expect(server.listening).toBe(false);
    await expect(assertPortFree(port)).rejects.toBeInstanceOf(PortInUseError);
  });

  it('resolves once listening on a free port, and the probe leaves the port free', async () => {
    const port = await takenPort();
    await close(servers.pop()!);
    await assertPortFree(port);
    const server = createHttpServer();
    servers.push(server);
    await listen(server, port);
    expect((server.address() as AddressInfo).port).toBe(port);
    await assertPortFree(0); // any free port cannot be taken
  });
});
