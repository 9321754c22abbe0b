import vm from 'node:vm';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEBSOCKET_AUTH_SHIM } from '../../src/graphiql-page.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';

/**
 * GraphiQL in a browser cannot put headers on a WebSocket; the page's shim carries the Authorization
 * header of its HTTP requests into graphql-ws's connection_init. Here the shim runs against the real
 * server with Node's fetch and the ws WebSocket standing in for the browser's.
 */
let t: TestApp;
let alice: TestUser;

beforeAll(async () => {
  t = await startTestApp();
  alice = await t.user();
});
afterAll(() => t.close());

function browserWindow() {
  const window: Record<string, unknown> = { fetch, Headers, WebSocket };
  vm.runInNewContext(WEBSOCKET_AUTH_SHIM, { window, Headers, JSON, Object });
  return window as { fetch: typeof fetch; WebSocket: typeof WebSocket };
}

/** Opens a graphql-transport-ws socket the way GraphiQL does (no connectionParams) and reports the server's answer. */
function connectionAnswer(window: { WebSocket: typeof WebSocket }): Promise<string> {
  return new Promise((resolve) => {
    const socket = new window.WebSocket(`${t.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init' })));
    socket.on('message', (data) => {
      resolve(JSON.parse(String(data)).type as string);
      socket.close();
    });
    socket.on('close', (code) => resolve(`closed ${code}`));
  });
}

describe('GraphiQL subscriptions', () => {
  it('the served page runs the shim before GraphiQL itself', async () => {
    const page = await (await fetch(`${t.url}/graphql`, { headers: { accept: 'text/html' } })).text();
    const shimAt = page.indexOf('connection_init');
    expect(shimAt).toBeGreaterThan(0);
    expect(shimAt).toBeLessThan(page.indexOf('</head>'));
  });

  it('after a request with the Headers tab token, the page\'s WebSocket is accepted; without one it is refused', async () => {
    const anonymous = browserWindow();
    expect(await connectionAnswer(anonymous)).toBe('closed 4403');

    const signedIn = browserWindow();
    await signedIn.fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', Authorization: `Bearer ${alice.token}` },
      body: JSON.stringify({ query: '{ me { id } }' }),
    });
    expect(await connectionAnswer(signedIn)).toBe('connection_ack');
  });
});
