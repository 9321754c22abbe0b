import { renderGraphiQL } from '@graphql-yoga/render-graphiql';

const DEFAULT_QUERY = `# Welcome to Tally. Sign in first (a demo user is printed in the start banner):
#   mutation { generateToken(input: {username: "alice", password: "…"}) { ... on AuthTokens { accessToken } ... on Error { code message } } }
# then put {"Authorization": "Bearer <accessToken>"} in the Headers tab below.
query MyAccounts {
  accounts { id number currency balance { posted available version } }
}
`;

/**
 * Browsers cannot set headers on a WebSocket, and GraphiQL only sends its Headers tab over HTTP.
 * This shim remembers the Authorization header of the page's latest HTTP request to the API and
 * puts it into graphql-ws's connection_init payload (connectionParams.authorization), which is
 * where Tally's WebSocket server reads the token. It runs before GraphiQL loads.
 */
export const WEBSOCKET_AUTH_SHIM = `
(() => {
  let authorization;
  const nativeFetch = window.fetch.bind(window);
  window.fetch = (input, init) => {
    const header = new Headers(init && init.headers).get('authorization');
    if (header) authorization = header;
    return nativeFetch(input, init);
  };
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class extends NativeWebSocket {
    send(data) {
      if (authorization && typeof data === 'string' && data.includes('"connection_init"')) {
        try {
          const message = JSON.parse(data);
          if (message.type === 'connection_init') {
            message.payload = Object.assign({}, message.payload, { authorization });
            data = JSON.stringify(message);
          }
        } catch (error) {}
      }
      super.send(data);
    }
  };
})();`;

/** The whole GraphiQL page, rendered once at start: about 9 MB with GraphiQL inlined, no CDN. */
export function renderGraphiqlPage(): string {
  const page = renderGraphiQL({ endpoint: '/graphql', title: 'Tally GraphiQL', defaultQuery: DEFAULT_QUERY, subscriptionsProtocol: 'WS' });
  const headEnd = page.indexOf('</head>');
  if (headEnd < 0) throw new Error('GraphiQL page has no </head>');
  return `${page.slice(0, headEnd)}<script>${WEBSOCKET_AUTH_SHIM}</script>${page.slice(headEnd)}`;
}
