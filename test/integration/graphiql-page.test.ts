import { request } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

/** GraphiQL's page is about 9 MB: it must travel compressed and be revalidated, not downloaded again. */
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/** A browser-like GET with the bytes as they came over the wire (fetch would decompress them). */
function getPage(headers: Record<string, string>): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const sent = request(`${t.url}/graphql`, { headers: { accept: 'text/html', ...headers } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    sent.on('error', reject);
    sent.end();
  });
}

describe('the GraphiQL page over HTTP', () => {
  it('is sent with brotli to a browser that accepts it, a fifth of its size, and unpacks to the page', async () => {
    const page = await getPage({ 'accept-encoding': 'gzip, deflate, br, zstd' });
    expect(page.status).toBe(200);
    expect(page.headers['content-encoding']).toBe('br');
    expect(page.headers.vary).toMatch(/accept-encoding/i);
    expect(page.body.length).toBeLessThan(3_000_000);
    const html = brotliDecompressSync(page.body).toString('utf8');
    expect(html.length).toBeGreaterThan(8_000_000);
    expect(html).toContain('<title>Tally GraphiQL</title>');
  });

  it('is sent with gzip when brotli is not accepted, and as is when nothing is', async () => {
    const gzipped = await getPage({ 'accept-encoding': 'gzip' });
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gzipped.body).toString('utf8')).toContain('<title>Tally GraphiQL</title>');

    const plain = await getPage({ 'accept-encoding': 'identity' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString('utf8')).toContain('<title>Tally GraphiQL</title>');
    expect(plain.headers.etag).not.toBe(gzipped.headers.etag);
  });

  it('answers 304 with no body to a browser that has it (If-None-Match), and 200 to one with another version', async () => {
    const first = await getPage({ 'accept-encoding': 'br' });
    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+-br"$/);
    expect(first.headers['cache-control']).toBe('no-cache');

    const again = await getPage({ 'accept-encoding': 'br', 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect(again.headers.etag).toBe(etag);

    const stale = await getPage({ 'accept-encoding': 'br', 'if-none-match': '"an-older-page-br"' });
    expect(stale.status).toBe(200);
    expect(stale.body.length).toBe(first.body.length);
  });
});
