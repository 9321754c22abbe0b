import { useCallback, useEffect, useRef, useState } from 'react';
import { useQuery } from 'urql';
import { MyDisputesDocument, type DisputeStateFragment } from '../generated/graphql';

/** A customer's disputes are few (each is a letter to the bank); one page holds them all. */
const DISPUTES_READ = 100;

export interface Disputes {
  /** The customer's dispute of a transaction, if any. */
  readonly of: (transactionId: string) => DisputeStateFragment | undefined;
  /** A dispute as it stands now (just opened, or a live update): newer than what was read. */
  readonly changed: (dispute: DisputeStateFragment) => void;
  /** What a line of a dispute's own money says: the credit, or its reversal, names the payment disputed. */
  readonly moneyOf: (transactionId: string) => string | undefined;
}

/**
 * The customer's disputes by disputed transaction, so a history line can say it is disputed and
 * how it stands. Read again when the balance's version moves (a credit posts), and kept current by
 * each open line's live feed (`changed`).
 */
export function useDisputes(version: number): Disputes {
  const [{ data }, reread] = useQuery({ query: MyDisputesDocument, variables: { first: DISPUTES_READ }, requestPolicy: 'network-only' });
  const [byTransaction, setByTransaction] = useState<ReadonlyMap<string, DisputeStateFragment>>(new Map());
  useEffect(() => {
    if (!data) return;
    setByTransaction((known) => {
      const merged = new Map(known);
      for (const { node } of data.disputes.edges) merged.set(node.transaction.id, newer(known.get(node.transaction.id), node));
      return merged;
    });
  }, [data]);
  const firstRead = useRef(true);
  useEffect(() => {
    if (firstRead.current) {
      firstRead.current = false;
      return;
    }
    reread({ requestPolicy: 'network-only' });
  }, [reread, version]);
  const changed = useCallback((dispute: DisputeStateFragment) => {
    setByTransaction((known) => new Map(known).set(dispute.transaction.id, newer(known.get(dispute.transaction.id), dispute)));
  }, []);
  const of = useCallback((transactionId: string) => byTransaction.get(transactionId), [byTransaction]);
  const moneyOf = useCallback(
    (transactionId: string) => {
      for (const dispute of byTransaction.values()) {
        const disputed = dispute.transaction.description ?? 'a payment';
        if (dispute.creditReversal?.id === transactionId) return `Dispute credit taken back: ${disputed}`;
        if (dispute.provisionalCredit?.id === transactionId || dispute.credit?.id === transactionId) return `Credit for your dispute: ${disputed}`;
      }
      return undefined;
    },
    [byTransaction],
  );
  return { of, changed, moneyOf };
}

/** Of two states of one dispute, the one with more steps (steps are only ever added). */
function newer(known: DisputeStateFragment | undefined, candidate: DisputeStateFragment): DisputeStateFragment {
  return known && known.id === candidate.id && known.events.length > candidate.events.length ? known : candidate;
}
