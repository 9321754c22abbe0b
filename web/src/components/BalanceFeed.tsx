import { useEffect, useRef, useState } from 'react';
import { useSubscription } from 'urql';
import { LiveBalanceDocument, type AccountBalanceFragment } from '../generated/graphql';

interface Props {
  readonly accountId: string;
  /** The version of the balance already shown: the feed starts after it. */
  readonly version: number;
  readonly onBalance: (accountId: string, balance: AccountBalanceFragment) => void;
  readonly onReconnect: (listener: () => void) => () => void;
}

/**
 * One account's `balanceUpdated` subscription; renders nothing. After a reconnect it subscribes
 * again with afterVersion = the newest version seen, so the server replays exactly what was missed
 * (API.md: no gaps, no duplicates). Older versions (a replay racing the live feed) are dropped by
 * the receiver, so a balance never steps back.
 */
export function BalanceFeed({ accountId, version, onBalance, onReconnect }: Props) {
  const newest = useRef(version);
  const [afterVersion, setAfterVersion] = useState(version);
  useEffect(() => onReconnect(() => setAfterVersion(newest.current)), [onReconnect]);
  const [{ data }] = useSubscription({ query: LiveBalanceDocument, variables: { accountId, afterVersion } });
  const update = data?.balanceUpdated;
  useEffect(() => {
    if (!update || update.version <= newest.current) return;
    newest.current = update.version;
    onBalance(accountId, update.balance);
  }, [update, accountId, onBalance]);
  return null;
}
