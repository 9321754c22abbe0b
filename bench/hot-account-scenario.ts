import type { GraphQLClient } from './graphql-client.js';
import { pick, randomAmount, type BenchUser, type Mix } from './mix.js';
import { deposit, transfer, type MovementOutcome } from './operations.js';
import type { Sessions } from './sessions.js';
import { DEPOSIT_SHARE, MAX_MOVEMENT_MINOR } from './settings.js';

/**
 * The hot-account scenario (BENCH_SCENARIOS=hot): the movements scenario's setup, phases and mix
 * of deposits and transfers, except that every movement lands on ONE customer account, a
 * merchant everyone pays: each transfer goes to it and each deposit is into it. Every request
 * locks that account's row, so this measures what a hot account costs; issue 11 asks for at
 * least 0.9 of the movements scenario's throughput at the same clients (run
 * `BENCH_SCENARIOS=movements,hot` for both in one run).
 */
const SCENARIO = 'deposits+transfers, all to one hot account';

/** The mix, with the movements mix's share of deposits so that only the destination differs; the hot account is the first user's first. */
export function hotAccountMix(): Mix {
  const next = async (client: GraphQLClient, sessions: Sessions, users: readonly BenchUser[]): Promise<MovementOutcome> => {
    const hot = users[0]?.accountIds[0];
    if (!hot) throw new Error('the hot-account mix needs a funded account');
    const payer = pick(users.length > 1 ? users.slice(1) : users);
    if (Math.random() < DEPOSIT_SHARE) return deposit(client, await sessions.tokenFor(payer.cashService), hot, randomAmount(MAX_MOVEMENT_MINOR));
    return transfer(client, await sessions.tokenFor(payer.username), pick(payer.accountIds), hot, randomAmount(MAX_MOVEMENT_MINOR));
  };
  return { scenario: SCENARIO, next, resultsSuffix: '.hot.json' };
}
