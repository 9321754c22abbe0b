import type { Context } from '../context.js';
import type { Actor } from '../ledger/types.js';

/**
 * The caller of a field that the schema's `signedIn` scope already guards. Reaching here without
 * one is a wiring bug, reported as an internal error, never as data.
 */
export function viewerOf(context: Context): Actor {
  if (!context.viewer || context.authenticationProblem) throw new Error('a guarded resolver ran without a signed-in viewer');
  return context.viewer;
}
