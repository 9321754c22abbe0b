import { createClient } from 'graphql-ws';
import { print } from 'graphql';
import type { ResultOf } from '@graphql-typed-document-node/core';
import { WatchBalance } from './operations';
import type { Session } from './session';

type Watched = ResultOf<typeof WatchBalance>;
type Update = Watched['balanceUpdated'];

/** Streams every change of one account, gap-free across reconnects and token expiry; returns stop(). */
export function watchBalance(
  url: string, // wss://bank.example/graphql
  session: Session,
  accountId: string,
  onUpdate: (update: Update) => void,
  options: { afterVersion?: number; webSocketImpl?: unknown } = {}, // webSocketImpl: `ws` on Node 20
): () => void {
  let lastVersion = options.afterVersion ?? 0; // e.g. balance.version from the HTTP read
  let stopped = false;
  const client = createClient({
    url,
    webSocketImpl: options.webSocketImpl,
    // Called on every (re)connect, so a new socket always carries a fresh token.
    connectionParams: async () => ({ authorization: `Bearer ${await session.currentToken()}` }),
    retryAttempts: Infinity, // network drops: graphql-ws reconnects and subscribes again
  });
  let unsubscribe = () => {};
  const subscribe = () => {
    unsubscribe = client.subscribe<Watched>(
      { query: print(WatchBalance), variables: { accountId, afterVersion: lastVersion } },
      {
        next: ({ data }) => {
          const update = data?.balanceUpdated;
          // A resubscription replays from its afterVersion: skip what was already shown.
          if (!update || update.version <= lastVersion) return;
          lastVersion = update.version;
          onUpdate(update);
        },
        // 4401: the access token expired. Refresh, then resume after the last version seen.
        error: (error) => {
          if (stopped || (error as { code?: number }).code !== 4401) return;
          session.refresh().then(subscribe, () => undefined); // a failed refresh means: sign in again
        },
        complete: () => {},
      },
    );
  };
  subscribe();
  return () => {
    stopped = true;
    unsubscribe();
    void client.dispose();
  };
}
