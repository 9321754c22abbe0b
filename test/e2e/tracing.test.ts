import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openOrm } from '../../src/db/orm.js';
import { addUser } from '../../src/auth/users.js';
import { DepositDocument, LoginDocument, OpenAccountDocument } from '../generated/graphql.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { dataOf, postGraphQL } from '../helpers/graphql-client.js';
import { brokenLaws } from '../helpers/laws.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';

/**
 * Traces end to end: a real server with OTEL_EXPORTER_OTLP_ENDPOINT pointing at a tiny OTLP/HTTP
 * receiver in this test (a real HTTP server collecting what the exporter posts), one deposit, and
 * the span tree it left: the request's span, the deposit command's and the statements' under it,
 * and the request's log line carrying the trace id.
 */

const JWT_SECRET = 'tracing-secret-that-is-long-enough-0123456789abcdef';
const ENCRYPTION_KEY = 'tracing-encryption-key-long-enough-0123456789abcdef';

/** A span as OTLP's JSON encoding carries it (ids in hex). */
interface ExportedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: number;
  readonly startTimeUnixNano: string;
  readonly endTimeUnixNano: string;
  readonly attributes?: ReadonlyArray<{ readonly key: string; readonly value: Record<string, unknown> }>;
}
interface ExportRequest {
  readonly resourceSpans?: ReadonlyArray<{ readonly resource?: { readonly attributes?: ExportedSpan['attributes'] }; readonly scopeSpans?: ReadonlyArray<{ readonly spans?: readonly ExportedSpan[] }> }>;
}

const SERVER_KIND = 2;
const CLIENT_KIND = 3;

const started: { receiver?: Server; server?: ServerProcess; database?: TestDatabase } = {};

afterAll(async () => {
  if (started.server && !started.server.exited) {
    started.server.kill('SIGKILL');
    await started.server.waitForExit(10_000).catch(() => undefined);
  }
  await new Promise((resolve) => (started.receiver ? started.receiver.close(resolve) : resolve(undefined)));
  await started.database?.drop().catch(() => undefined);
});

/** The OTLP/HTTP receiver: every span posted to /v1/traces, and the service names they came from. */
async function startReceiver(): Promise<{ url: string; spans: ExportedSpan[]; services: Set<string>; contentTypes: Set<string> }> {
  const spans: ExportedSpan[] = [];
  const services = new Set<string>();
  const contentTypes = new Set<string>();
  const receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method !== 'POST' || request.url !== '/v1/traces') {
        response.writeHead(404).end();
        return;
      }
      contentTypes.add(String(request.headers['content-type']));
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ExportRequest;
      for (const resourceSpans of body.resourceSpans ?? []) {
        for (const attribute of resourceSpans.resource?.attributes ?? []) if (attribute.key === 'service.name') services.add(String(attribute.value.stringValue));
        for (const scope of resourceSpans.scopeSpans ?? []) spans.push(...(scope.spans ?? []));
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  started.receiver = receiver;
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const address = receiver.address();
  if (address === null || typeof address === 'string') throw new Error('the receiver has no port');
  return { url: `http://127.0.0.1:${address.port}`, spans, services, contentTypes };
}

function attribute(span: ExportedSpan, key: string): unknown {
  const value = span.attributes?.find((item) => item.key === key)?.value;
  if (!value) return undefined;
  if ('arrayValue' in value) return ((value.arrayValue as { values?: Array<Record<string, unknown>> }).values ?? []).map((item) => Object.values(item)[0]);
  return Object.values(value)[0];
}

async function signIn(url: string, username: string, password: string): Promise<string> {
  const result = dataOf(await postGraphQL(url, LoginDocument, { username, password })).generateToken;
  if (result.__typename !== 'AuthTokens') throw new Error(`login of ${username} failed: ${JSON.stringify(result)}`);
  return result.accessToken;
}

it('exports one span per request with the deposit command and its statements under it; its log line carries the trace id', { timeout: 60_000 }, async () => {
  const receiver = await startReceiver();
  const database = await createTestDatabase();
  started.database = database;
  const customer = { username: `customer-${randomUUID().slice(0, 8)}`, password: `password-${randomUUID()}` };
  const cash = { username: `cash-${randomUUID().slice(0, 8)}`, password: `password-${randomUUID()}` };
  const orm = await openOrm(loadConfig({ DATABASE_URL: database.url, JWT_SECRET, ENCRYPTION_KEY }));
  try {
    await addUser(orm, { ...customer, email: `${customer.username}@example.test` });
    await addUser(orm, { ...cash, role: 'SERVICE', channels: ['CASH'], email: `${cash.username}@example.test` });
  } finally {
    await orm.close(true);
  }
  const server = await startServerProcess({
    env: { DATABASE_URL: database.url, JWT_SECRET, ENCRYPTION_KEY, REDIS_URL: undefined, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, PORT: '0', LOG_LEVEL: 'debug', NODE_ENV: 'test' },
    startTimeoutMs: 45_000,
  });
  started.server = server;
  const customerToken = await signIn(server.url, customer.username, customer.password);
  const cashToken = await signIn(server.url, cash.username, cash.password);
  const opened = dataOf(await postGraphQL(server.url, OpenAccountDocument, { input: { type: 'CHECKING', currency: 'USD', idempotencyKey: randomUUID() } }, customerToken)).openAccount;
  if (opened.__typename !== 'OpenAccountSuccess') throw new Error(`openAccount failed: ${JSON.stringify(opened)}`);
  const deposited = dataOf(await postGraphQL(server.url, DepositDocument, { input: { accountId: opened.account.id, amount: '5.00', channel: 'CASH', idempotencyKey: randomUUID() } }, cashToken)).deposit;
  expect(deposited.__typename).toBe('MoneyMovement');

  // The batch leaves within about a second; give it a few.
  const deadline = Date.now() + 15_000;
  const depositCommand = () => receiver.spans.find((span) => span.name === 'command deposit');
  while (!depositCommand() && Date.now() < deadline) await sleep(200);
  const command = depositCommand();
  expect(command, `spans received: ${JSON.stringify(receiver.spans.map((span) => span.name))}`).toBeDefined();
  expect(receiver.services).toEqual(new Set(['tally']));
  expect([...receiver.contentTypes]).toEqual([expect.stringContaining('application/json')]);

  // The request's span is the root of the command's trace, a server span of POST /graphql.
  const request = receiver.spans.find((span) => span.spanId === command!.parentSpanId);
  expect(request).toMatchObject({ name: 'POST /graphql', kind: SERVER_KIND, traceId: command!.traceId });
  expect(request!.parentSpanId ?? '').toBe('');
  expect(attribute(request!, 'http.response.status_code')).toBe(200);
  expect(attribute(command!, 'tally.commands')).toEqual(['deposit']);
  expect(attribute(command!, 'tally.outcomes')).toEqual(['OK']);
  expect(attribute(command!, 'tally.committed')).toBe(true);

  // The statements of the deposit are client spans under the same request, inside its time.
  const statements = receiver.spans.filter((span) => span.parentSpanId === request!.spanId && span.kind === CLIENT_KIND);
  const texts = statements.map((span) => String(attribute(span, 'db.query.text')));
  expect(texts.some((text) => /insert into entries/i.test(text)), `statements: ${JSON.stringify(texts)}`).toBe(true);
  expect(texts.some((text) => /insert into ledger_transactions/i.test(text))).toBe(true);
  for (const span of [command!, ...statements]) {
    expect(span.traceId).toBe(request!.traceId);
    expect(BigInt(span.startTimeUnixNano)).toBeGreaterThanOrEqual(BigInt(request!.startTimeUnixNano) - 1_000_000n);
    expect(BigInt(span.endTimeUnixNano), `${span.name} ${String(attribute(span, 'db.query.text'))}`).toBeLessThanOrEqual(BigInt(request!.endTimeUnixNano) + 1_000_000n);
  }
  // No bound value (the amount, the account id) travels in a statement's text.
  expect(texts.join('\n')).not.toContain(opened.account.id);
  expect(texts.join('\n')).not.toMatch(/\b500\b/);

  // Every request has its own trace; the deposit's log line names the deposit's trace.
  const requestTraces = new Set(receiver.spans.filter((span) => span.name === 'POST /graphql').map((span) => span.traceId));
  expect(requestTraces.size).toBeGreaterThanOrEqual(4);
  const logLines = server
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { msg?: string; trace_id?: string; span_id?: string });
  expect(logLines.filter((line) => line.msg === 'request finished' && line.trace_id === request!.traceId)).toEqual([
    expect.objectContaining({ trace_id: request!.traceId, span_id: request!.spanId }),
  ]);

  server.kill('SIGTERM');
  await server.waitForExit(20_000);
  expect(await brokenLaws(database.pool)).toEqual([]);
});
