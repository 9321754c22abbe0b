import { useEffect, useMemo, useRef, useState } from 'react';
import { useSubscription } from 'urql';
import { LiveBalanceDocument, type AccountBalanceFragment } from '../generated/graphql';

interface Props {
  readonly accountId: string;
  /** The version of the balance already shown: the feed starts after it. */
  readonly version: number;
  readonly onBalance: (accountId: string, balance: AccountBalanceFragment) => void;
  readonly onReconnect: (listener: () => void) => () => void;
}

/** After a feed fails (socket refused, closed for good), it subscribes again after this long. */
const RETRY_MS = 2_000;

/**
 * One account's `balanceUpdated` subscription; renders nothing. After a reconnect it subscribes
 * again with afterVersion = the newest version seen, so the server replays exactly what was missed
 * (API.md: no gaps, no duplicates); so it does a while after the feed fails. Older versions (a replay racing the live feed) are dropped by
 * the receiver, so a balance never steps back.
 */
export function BalanceFeed({ accountId, version, onBalance, onReconnect }: Props) {
  const newest = useRef(version);
  // `attempt` makes each resumption a new subscription even when no version was seen in between.
  const [resume, setResume] = useState({ afterVersion: version, attempt: 0 });
  const resumeNow = () => setResume((current) => ({ afterVersion: newest.current, attempt: current.attempt + 1 }));
  useEffect(() => onReconnect(resumeNow), [onReconnect]);
  const context = useMemo(() => ({ attempt: resume.attempt }), [resume.attempt]);
  const [{ data, error }] = useSubscription({ query: LiveBalanceDocument, variables: { accountId, afterVersion: resume.afterVersion }, context });
  useEffect(() => {
    if (!error) return;
    const timer = setTimeout(resumeNow, RETRY_MS);
    return () => clearTimeout(timer);
  }, [error]);
  const update = data?.balanceUpdated;
  useEffect(() => {
    if (!update || update.version <= newest.current) return;
    newest.current = update.version;
    onBalance(accountId, update.balance);
  }, [update, accountId, onBalance]);
  return null;
}
