import type { Actor } from '../types.js';

/**
 * The journal's context of a unit (README "Auditing the journal"): the request and actor its
 * triggers name, `tally.request_id` and `tally.actor_id`, local to the transaction. A grouped
 * unit's commands come from different requests (group-commit.ts); the context they want is noted
 * at each turn and sent only before the next statement that could journal a row (movement-
 * buffer.ts flushes it with the movements): a movement's record names its own request through the
 * flush itself (write-movements.ts), so a group whose turns only write movements switches never.
 */
export class JournalContext {
  private sent: string;
  private wanted: string;
  private wantedActor: Actor | undefined;

  /** `actor`: whom the unit's settings name (run-command.ts unitSettings, sent before anything else of the unit). */
  constructor(actor: Actor | undefined) {
    this.sent = this.wanted = keyOf(actor);
  }

  /** What follows is `actor`'s, in its request; sent with the next statement's barrier. */
  actAs(actor: Actor): void {
    this.wanted = keyOf(actor);
    this.wantedActor = actor;
  }

  /** Whether the transaction's settings already say what is wanted. */
  get current(): boolean {
    return this.sent === this.wanted;
  }

  /**
   * The statement that sets the wanted context, if the transaction's differs; from then on it
   * counts as sent (its caller sends it before anything else: movement-buffer.ts).
   */
  take(): { readonly sql: string; readonly parameters: readonly unknown[] } | undefined {
    if (this.current || !this.wantedActor) return undefined;
    const actor = this.wantedActor;
    this.sent = keyOf(actor);
    return { sql: `select set_config('tally.request_id', ?, true), set_config('tally.actor_id', ?, true)`, parameters: [actor.requestId ?? '', actor.userId] };
  }
}

const keyOf = (actor: Actor | undefined): string => JSON.stringify([actor?.userId ?? '', actor?.requestId ?? '']);
