/**
 * Settings every Tally connection to PostgreSQL starts with, sent in the startup packet (`options`,
 * as libpq's PGOPTIONS: no round trip), after whatever PGOPTIONS the operator set, so theirs stay.
 *
 * - `jit=off`: PostgreSQL compiles a statement to machine code once its estimated cost passes
 *   jit_above_cost (100,000 by default). Tally's statements are small, but a statement trigger's
 *   plan over a transition table (no statistics) is estimated high: measured on the bench with
 *   group commit, the risk lines' trigger and the balance check spent 36-45 ms of every grouped
 *   movement write emitting code for a statement that runs in 0.5 ms. A ledger's work is short
 *   statements whose latency must be steady; compiling never pays for itself here.
 */
const TALLY_SESSION_OPTIONS = '-c jit=off';

export function sessionOptions(environment: NodeJS.ProcessEnv = process.env): string {
  const operators = environment.PGOPTIONS?.trim();
  return operators ? `${operators} ${TALLY_SESSION_OPTIONS}` : TALLY_SESSION_OPTIONS;
}
