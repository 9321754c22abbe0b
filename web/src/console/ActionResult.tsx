import { useEffect, useRef } from 'react';
import type { LedgerTransactionFragment } from '../generated/graphql';
import { LedgerTransactionView } from './LedgerTransactionView';

/** What a confirmed action did: a sentence and, when it moved money, the ledger transaction. */
export interface Done {
  readonly text: string;
  readonly transaction?: LedgerTransactionFragment | null;
  /** Bumped for each action, so the same words twice still move focus here. */
  readonly serial: number;
}

/**
 * A section's answer line for its last action. It takes focus when a new answer arrives: the
 * button that opened the action may be gone (an approved review leaves the queue), and a keyboard
 * or screen-reader user should land on what happened.
 */
export function ActionResult({ done }: { done: Done | undefined }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (done) ref.current?.focus();
  }, [done?.serial]);
  return (
    <div ref={ref} tabIndex={-1} role="status" aria-live="polite" className={done ? 'card action-result' : undefined} data-testid="action-result">
      {done && (
        <>
          <p className="success">{done.text}</p>
          {done.transaction && <LedgerTransactionView transaction={done.transaction} />}
        </>
      )}
    </div>
  );
}

/** Said after an answer the API replayed: an earlier try, whose answer was lost, had done it. */
const REPLAYED = ' An earlier try had gone through: nothing was done twice.';

let serial = 0;
/** A Done with a fresh serial; `replayed` (the API's flag) says an earlier try had done it already. */
export function done(text: string, transaction?: LedgerTransactionFragment | null, replayed = false): Done {
  serial += 1;
  return { text: replayed ? `${text}${REPLAYED}` : text, transaction, serial };
}
