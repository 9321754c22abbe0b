/**
 * The GraphQL field extension that marks a root subscription field whose pushes may be executed
 * once and shared by every subscriber with the same document, variables and viewer
 * (src/transport/subscription-sharing.ts). Only for a field whose push result depends on nothing
 * but those and the event: no per-socket state, no side effect per push (such as an audit line,
 * which disputeUpdated writes for operators and so is not marked).
 */
export const SHARED_EXECUTION_EXTENSION = 'tallySharedExecution';

/** `extensions: sharedExecution()` on a Pothos subscription field. */
export function sharedExecution(): Record<string, unknown> {
  return { [SHARED_EXECUTION_EXTENSION]: true };
}
