import { disputeChannel, type DisputeChangedEvent } from './channels.js';
import type { EventBus } from './event-bus.js';

/**
 * One subscriber's notices that a dispute changed: first one for the dispute as it stands (read
 * after the bus subscription is live, so no change can fall between the two), then one per change
 * from the event bus, in arrival order with repeats and stale ones (a sequence already seen)
 * dropped. Each notice only says "read it again": the subscription's resolver reads the dispute
 * as it stands, so a lost notice is made good by the next one. Ending it (`return()`)
 * unsubscribes at once, also while it waits.
 */
export async function disputeChanges(bus: EventBus, disputeId: string, currentSequence: () => Promise<number>): Promise<AsyncIterableIterator<DisputeChangedEvent>> {
  const inbox: DisputeChangedEvent[] = [];
  let wake: (() => void) | undefined;
  let stopped = false;
  let lastSequence = 0;
  const unsubscribe = await bus.subscribe(disputeChannel(disputeId), (event) => {
    if (event.sequence <= lastSequence) return;
    lastSequence = event.sequence;
    inbox.push(event);
    wake?.();
  });
  const sequence = await currentSequence();
  if (sequence > lastSequence) {
    lastSequence = sequence;
    inbox.unshift({ disputeId, sequence });
  }
  const finished = (): IteratorResult<DisputeChangedEvent> => ({ done: true, value: undefined });
  const iterator: AsyncIterableIterator<DisputeChangedEvent> = {
    async next() {
      while (!stopped && inbox.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      const event = inbox.shift();
      return stopped || !event ? finished() : { done: false, value: event };
    },
    async return() {
      stopped = true;
      unsubscribe();
      wake?.();
      return finished();
    },
    async throw(error: unknown) {
      stopped = true;
      unsubscribe();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
