import http from 'node:http';

export interface GraphQLErrorBody {
  readonly message: string;
  readonly code: string | undefined;
}

/** One HTTP exchange: the status, and the GraphQL body when it was one. */
export interface GraphQLReply {
  readonly status: number;
  readonly data: Readonly<Record<string, unknown>> | null;
  readonly errors: readonly GraphQLErrorBody[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseReply(status: number, text: string): GraphQLReply {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { status, data: null, errors: [{ message: `non-JSON body: ${text.slice(0, 200)}`, code: undefined }] };
  }
  if (!isRecord(body)) return { status, data: null, errors: [{ message: 'body is not an object', code: undefined }] };
  const errors = Array.isArray(body.errors)
    ? body.errors.map((error: unknown): GraphQLErrorBody => {
        const message = isRecord(error) && typeof error.message === 'string' ? error.message : JSON.stringify(error);
        const extensions = isRecord(error) && isRecord(error.extensions) ? error.extensions : {};
        return { message, code: typeof extensions.code === 'string' ? extensions.code : undefined };
      })
    : [];
  return { status, data: isRecord(body.data) ? body.data : null, errors };
}

/**
 * GraphQL over HTTP POST with keep-alive connections, one socket per concurrent client, so the
 * measurement is the server's work and not TCP handshakes. Plain `node:http` rather than fetch:
 * its Agent bounds the sockets exactly and needs no extra dependency.
 */
export class GraphQLClient {
  private readonly agent: http.Agent;

  constructor(
    private readonly baseUrl: URL,
    maxSockets: number,
    private readonly timeoutMs: number,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  /** Resolves with any HTTP answer; rejects only when no answer came (refused, reset, timeout). */
  post(query: string, variables: Readonly<Record<string, unknown>>, accessToken?: string): Promise<GraphQLReply> {
    const payload = JSON.stringify({ query, variables });
    return new Promise((resolve, reject) => {
      const request = http.request(
        {
          host: this.baseUrl.hostname,
          port: this.baseUrl.port,
          path: '/graphql',
          method: 'POST',
          agent: this.agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(payload),
            ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve(parseReply(response.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'))));
          response.on('error', reject);
        },
      );
      request.setTimeout(this.timeoutMs, () => request.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      request.on('error', reject);
      request.end(payload);
    });
  }

  /** Closes the kept-alive sockets; a fresh client per phase never reuses one the server timed out. */
  close(): void {
    this.agent.destroy();
  }
}
