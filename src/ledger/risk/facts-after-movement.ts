import type { MovementPlan, PlannedEntry } from '../types.js';
import { VELOCITY_WINDOWS, type VelocityWindow } from './features.js';
import type { CashTally, OutgoingTally, RiskFacts, WindowTally } from './risk-facts.js';

/**
 * A unit's facts after one of its own movements, as tally_risk_facts would count it once committed
 * (migration 20261201140000): the envelope reads the facts once, before its first command, so
 * without this a unit of several commands would judge its later movements blind to its earlier
 * ones. Pure. The movement is stamped with the unit's clock, which every window ends at, so it
 * falls in all of them. The customer's accounts are those `owned` says; per account the movement
 * changes, it writes one history line, which is what the function counts:
 * - outgoing (velocity): a WITHDRAWAL or TRANSFER leaving the customer (a withdrawal, or a transfer
 *   none of whose POSTED credits lands in an account of theirs), once per account of theirs it
 *   debits on the POSTED layer, with the transaction's amount;
 * - cash today: a CASH DEPOSIT or WITHDRAWAL, once per account of theirs it changes;
 * - last activity: `now` when it changes the facts' account (a review's hold too);
 * - payee known: a TRANSFER crediting the payee asked about and debiting an account of theirs.
 */
export function factsAfterMovement(
  facts: RiskFacts,
  payeeAccountId: string | undefined,
  movement: MovementPlan,
  owned: (accountId: string) => boolean,
  now: Date,
): RiskFacts {
  const ownedChanged = movement.changes.filter((change) => owned(change.accountId)).map((change) => change.accountId);
  // Touching none of the customer's accounts, it counts in none of their facts (each needs a line of theirs, or a debit of theirs for the payee).
  if (ownedChanged.length === 0) return facts;
  const customerEntry = (entry: PlannedEntry, accountOwned: (accountId: string) => boolean) =>
    'customerAccountId' in entry.target && accountOwned(entry.target.customerAccountId);
  const postedDebits = ownedChanged.filter((accountId) =>
    movement.entries.some((entry) => entry.layer === 'POSTED' && entry.direction === 'DEBIT' && customerEntry(entry, (id) => id === accountId)),
  );
  const creditsOwn = movement.entries.some((entry) => entry.layer === 'POSTED' && entry.direction === 'CREDIT' && customerEntry(entry, owned));
  const leaves = movement.kind === 'WITHDRAWAL' || (movement.kind === 'TRANSFER' && !creditsOwn);
  const paysPayee =
    payeeAccountId !== undefined &&
    movement.kind === 'TRANSFER' &&
    movement.entries.some((entry) => entry.direction === 'CREDIT' && customerEntry(entry, (id) => id === payeeAccountId)) &&
    movement.entries.some((entry) => entry.direction === 'DEBIT' && customerEntry(entry, owned));
  const isCash = movement.channel === 'CASH' && (movement.kind === 'DEPOSIT' || movement.kind === 'WITHDRAWAL');
  return {
    ...facts,
    lastActivityAt: movement.changes.some((change) => change.accountId === facts.accountId) ? now : facts.lastActivityAt,
    outgoing: leaves && postedDebits.length > 0 ? addOutgoing(facts.outgoing, movement, BigInt(postedDebits.length)) : facts.outgoing,
    cashToday: isCash && ownedChanged.length > 0 ? addCash(facts.cashToday, movement, BigInt(ownedChanged.length)) : facts.cashToday,
    payeeKnown: facts.payeeKnown || paysPayee,
  };
}

function addOutgoing(outgoing: readonly OutgoingTally[], movement: MovementPlan, lines: bigint): OutgoingTally[] {
  const index = outgoing.findIndex((tally) => tally.channel === movement.channel && tally.currency === movement.currency);
  const before = outgoing[index];
  const windows = Object.fromEntries(
    VELOCITY_WINDOWS.map((window): [VelocityWindow, WindowTally] => {
      const tally = before?.windows[window] ?? { count: 0n, sumMinor: 0n };
      return [window, { count: tally.count + lines, sumMinor: tally.sumMinor + lines * movement.amountMinor }];
    }),
  ) as Record<VelocityWindow, WindowTally>;
  const after: OutgoingTally = { channel: movement.channel, currency: movement.currency, windows };
  return index < 0 ? [...outgoing, after] : outgoing.map((tally, at) => (at === index ? after : tally));
}

function addCash(cashToday: readonly CashTally[], movement: MovementPlan, lines: bigint): CashTally[] {
  const kind = movement.kind as CashTally['kind'];
  const index = cashToday.findIndex((tally) => tally.kind === kind && tally.currency === movement.currency);
  const sumMinor = (cashToday[index]?.sumMinor ?? 0n) + lines * movement.amountMinor;
  const after: CashTally = { kind, currency: movement.currency, sumMinor };
  return index < 0 ? [...cashToday, after] : cashToday.map((tally, at) => (at === index ? after : tally));
}
