// Tally GraphiQL: GraphiQL's fetcher. Queries and mutations go over HTTP with the stored token;
// subscriptions go to the tab's live subscription on the shared socket.
const T = window.TallyGraphiQL;
const ENDPOINT = '/graphql';

/** The operation GraphiQL is about to run, from its parsed document (the editor's), or null. */
function operationOf(params, documentAST) {
  const operations = ((documentAST && documentAST.definitions) || []).filter((definition) => definition.kind === 'OperationDefinition');
  if (params.operationName) return operations.find((operation) => operation.name && operation.name.value === params.operationName) || null;
  return operations.length === 1 ? operations[0] : null;
}

function isSubscription(params, documentAST) {
  const operation = operationOf(params, documentAST);
  if (operation) return operation.operation === 'subscription';
  // No parsed document (GraphiQL's own introspection): look at the text, comments aside.
  return /^\s*subscription\b/.test(String(params.query).replace(/#[^\n]*/g, ''));
}

/** Header names are case-insensitive; the tab's own Authorization wins over the stored token for its HTTP requests. */
function hasHeader(headers, name) {
  return Object.keys(headers).some((key) => key.toLowerCase() === name);
}

async function overHttp(params, tabHeaders) {
  await T.tokens.ensureFresh();
  const headers = { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' };
  const authorization = T.tokens.authorization();
  if (authorization && !hasHeader(tabHeaders, 'authorization')) headers.authorization = authorization;
  Object.assign(headers, tabHeaders);
  const response = await fetch(ENDPOINT, { method: 'POST', headers, body: JSON.stringify(params) });
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return { errors: [{ message: `HTTP ${response.status}: ${text.slice(0, 500)}` }] };
  }
}

T.fetcher = (params, options = {}) => {
  if (T.tabSubscriptions.resumes(params) || isSubscription(params, options.documentAST)) return T.tabSubscriptions.observe(params);
  return overHttp(params, options.headers || {});
};
