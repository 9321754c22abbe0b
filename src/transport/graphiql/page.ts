import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { css, editorWorkerService, favicon, graphqlWorker, js, jsonWorker } from '@graphql-yoga/render-graphiql/graphiql';

const DEFAULT_QUERY = `# Welcome to Tally. Sign in first: open the key icon ("Tally sign-in") in the left sidebar
# and use a demo user from the start banner. The token then goes with every tab's requests
# and with the live (WebSocket) connection; it is renewed before it expires.
query MyAccounts {
  accounts { id number currency balance { posted available version } }
}
`;

/**
 * Tally's own GraphiQL code, plain browser JavaScript (one module each) run before GraphiQL renders, in this order:
 * the token store, the socket that reads it at each connect, the subscriptions kept per tab, the
 * fetcher, the sign-in panel, and the options handed to GraphiQL.
 */
const BROWSER_SCRIPTS = ['token-store.js', 'live-socket.js', 'tab-subscriptions.js', 'fetcher.js', 'sign-in-panel.js', 'options.js'];

/**
 * The Yoga bundle hard-codes GraphiQL's plugin list to its Explorer; this one edit appends the
 * plugins we pass as `tallyPlugins`, so the sign-in panel sits beside the Explorer instead of
 * replacing it. The bundle is pinned; if its code moves, start-up fails here rather than silently
 * losing the panel.
 */
const PLUGIN_LIST = 'plugins:[r],schemaDescription:!0';
const PLUGIN_LIST_WITH_TALLY = 'plugins:[r,...(n.tallyPlugins||[])],schemaDescription:!0';

function graphiqlBundleWithTallyPlugins(): string {
  const found = js.split(PLUGIN_LIST).length - 1;
  if (found !== 1) throw new Error(`@graphql-yoga/render-graphiql changed: expected its plugin list once, found it ${found} times`);
  return js.replace(PLUGIN_LIST, PLUGIN_LIST_WITH_TALLY);
}

/** A file of `browser/`, the page's own scripts and styles. */
function browserFile(name: string): string {
  return readFileSync(new URL(`./browser/${name}`, import.meta.url), 'utf8');
}

/** graphql-ws's own browser build (the same version as the server's): `window.graphqlWs`. */
function graphqlWsBrowserBuild(): string {
  const packageJson = createRequire(import.meta.url).resolve('graphql-ws/package.json');
  return readFileSync(new URL('umd/graphql-ws.min.js', pathToFileURL(packageJson)), 'utf8');
}

/**
 * Every script is a module: each file keeps its names to itself, and modules run in document
 * order. `</script>` inside inlined code would end the element early.
 */
function inlineScript(code: string): string {
  return `<script type="module">${code.replaceAll('</script', '<\\/script')}</script>`;
}

/**
 * The whole GraphiQL page, rendered once at start: about 9 MB with GraphiQL inlined, no CDN.
 * It follows @graphql-yoga/render-graphiql's own template, but hands GraphiQL options built in
 * the browser (a fetcher, the sign-in plugin, a tab listener), which its JSON-only template cannot.
 */
export function renderGraphiqlPage(): string {
  // No endpoint: our fetcher posts to /graphql, and GraphiQL warns when it gets both.
  const serverOptions = { title: 'Tally GraphiQL', defaultQuery: DEFAULT_QUERY };
  const workers = { editorWorkerService, json: jsonWorker, graphql: graphqlWorker };
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${serverOptions.title}</title>
    <link rel="icon" href="${favicon}" />
    <style>${css}</style>
    <style>${browserFile('sign-in-panel.css')}</style>
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>You need to enable JavaScript to run this app.</noscript>
    <div id="root"></div>
    ${inlineScript(graphqlWsBrowserBuild())}
    ${BROWSER_SCRIPTS.map((name) => inlineScript(browserFile(name))).join('\n    ')}
    ${inlineScript(`
      const workerSources = ${JSON.stringify(workers)};
      const workers = {};
      for (const [label, source] of Object.entries(workerSources)) {
        workers[label] = URL.createObjectURL(new Blob([source], { type: 'application/javascript' }));
      }
      self['MonacoEnvironment'] = { globalAPI: false, getWorkerUrl: (_moduleId, label) => workers[label] };
      ${graphiqlBundleWithTallyPlugins()};
      YogaGraphiQL.renderYogaGraphiQL(document.querySelector('#root'), TallyGraphiQL.graphiqlOptions(${JSON.stringify(serverOptions)}));
    `)}
  </body>
</html>
`;
}
