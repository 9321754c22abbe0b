import { afterAll, beforeAll, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

let app: TestApp;
beforeAll(async () => { app = await startTestApp(); });
afterAll(async () => { await app.close(); });

async function raw(init: RequestInit & { path?: string }): Promise<string> {
  const r = await fetch(`${app.url}${init.path ?? '/graphql'}`, init);
  const t = await r.text();
  return `${r.status} ${r.headers.get('content-type')} ${t.slice(0, 600)}`;
}
const post = (body: string, headers: Record<string, string> = {}) => raw({ method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

it('probe', async () => {
  const u = await app.user();
  const acc = await app.account(u, { opening: '100.00' });
  const auth = { authorization: `Bearer ${u.token}` };
  const out: string[] = [];
  const aliases = Array.from({ length: 60 }, (_, i) => `a${i}: balance(accountId: "${acc}") { posted }`).join(' ');
  out.push('ALIAS60 ' + await post(JSON.stringify({ query: `{ ${aliases} }` }), auth));
  const logins = Array.from({ length: 30 }, (_, i) => `l${i}: generateToken(input: {username: "${u.username}", password: "bad${i}"}) { __typename }`).join(' ');
  out.push('LOGIN30 ' + await post(JSON.stringify({ query: `mutation { ${logins} }` })));
  out.push('BATCH ' + await post(JSON.stringify([{ query: '{ me { id } }' }, { query: '{ me { id } }' }]), auth));
  out.push('BIG ' + await post(JSON.stringify({ query: '{ me { id } }', variables: { x: 'a'.repeat(5_000_000) } }), auth));
  out.push('MALFORMED ' + await post('{"query": "{ me { id } }"', auth));
  out.push('TEXTPLAIN ' + await raw({ method: 'POST', headers: { 'content-type': 'text/plain', ...auth }, body: JSON.stringify({ query: `mutation { deposit(input: {accountId: "${acc}", amount: "5.00", channel: CASH, idempotencyKey: "k1"}) { __typename } }` }) }));
  out.push('GETMUT ' + await raw({ path: `/graphql?query=${encodeURIComponent(`mutation { deposit(input: {accountId: "${acc}", amount: "5.00", channel: CASH, idempotencyKey: "k2"}) { __typename } }`)}`, method: 'GET', headers: { 'apollo-require-preflight': 'true', ...auth } }));
  const frag = (n: number) => '...{'.repeat(n) + ' id ' + '}'.repeat(n);
  for (const n of [4, 5]) out.push(`DEPTH+${n} ` + await post(JSON.stringify({ query: `{ me { accounts { transactions { edges { node { transaction { entries { ${frag(n)} } } } } } } } }` }), auth));
  out.push('TOKENS ' + await post(JSON.stringify({ query: `{ ${Array.from({ length: 700 }, () => '__typename').join(' ')} }` }), auth));
  out.push('COST ' + await post(JSON.stringify({ query: `{ me { accounts { transactions(first: 100) { edges { node { amount balanceAfter version transaction { id kind amount currency entries { id accountId amount direction } } } } } } } }` }), auth));
  out.push('INTROSPECT ' + await post(JSON.stringify({ query: '{ __schema { types { name } } }' }), auth));
  out.push('TYPO ' + await post(JSON.stringify({ query: '{ accuonts { id } }' }), auth));
  out.push('GRAPHIQL ' + (await raw({ method: 'GET', headers: { accept: 'text/html' } })).slice(0, 100));
  out.push('TOKENS2500 ' + await post(JSON.stringify({ query: `{ ${Array.from({ length: 2500 }, () => '__typename').join(' ')} }` }), auth));
  out.push('HIST100VAR ' + await post(JSON.stringify({ query: `query H($first: Int) { me { accounts { transactions(first: $first) { edges { node { amount balanceAfter version transaction { id kind amount currency entries { id accountId amount direction } } } } } } } }`, variables: { first: 100 } }), auth));
  out.push('HIST20 ' + await post(JSON.stringify({ query: `{ transactions(accountId: "${acc}", first: 20) { edges { cursor node { amount balanceAfter version transaction { id kind channel status amount currency description externalRef idempotencyKey createdAt postedAt entries { id accountId direction amount } } } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }` }), auth));
  const prod = await startTestApp({ environment: { NODE_ENV: 'production' } });
  try {
    const pu = await prod.user();
    const pauth = { authorization: `Bearer ${pu.token}` };
    const praw = async (init: RequestInit) => { const r = await fetch(`${prod.url}/graphql`, init); return `${r.status} ${r.headers.get('content-type')} ${(await r.text()).slice(0, 400)}`; };
    out.push('P-INTRO ' + await praw({ method: 'POST', headers: { 'content-type': 'application/json', ...pauth }, body: JSON.stringify({ query: '{ __schema { types { name } } }' }) }));
    out.push('P-INTRO-TYPE ' + await praw({ method: 'POST', headers: { 'content-type': 'application/json', ...pauth }, body: JSON.stringify({ query: '{ __type(name: "Account") { fields { name } } }' }) }));
    out.push('P-TYPO ' + await praw({ method: 'POST', headers: { 'content-type': 'application/json', ...pauth }, body: JSON.stringify({ query: '{ accuonts { id } }' }) }));
    out.push('P-GIQL ' + await praw({ method: 'GET', headers: { accept: 'text/html' } }));
  } finally { await prod.close(); }
  console.log(out.join('\n\n'));
});
