import { ForbiddenError, NotFoundError, ValidationError, type LedgerError } from '../errors.js';
import type { BreakResolutionOutcome, CommandSnapshots, Replay } from '../commands/command.js';
import { checkKey } from '../decide/request-checks.js';
import { SUSPENSE, internalAccountCode } from '../decide/internal-accounts.js';
import { planMovement } from '../decide/plan-movement.js';
import { MAX_DESCRIPTION_LENGTH } from '../limits.js';
import type { MovementPlan } from '../types.js';
import type { BreakAction, BreakSnapshot, BreakStatus, EntryFact } from './break-snapshot.js';

export interface ResolveBreakRequest {
  readonly breakId: string;
  readonly action: BreakAction;
  readonly entryIds: readonly string[];
  readonly reason: string | null;
}

/** What a resolution does: the break after it, the entries it matches by hand, the adjustment it posts. */
export interface BreakResolutionPlan {
  readonly before: BreakSnapshot;
  readonly status: BreakStatus;
  readonly reason: string | null;
  /** MATCH: the entries (entries.id) the operator matched with the break's line. */
  readonly matchedEntryIds: readonly string[];
  /** ADJUST: the ADJUSTMENT between the settlement account and SUSPENSE. */
  readonly adjustment: MovementPlan | undefined;
}

/** Entries an operator may name in one MATCH: a batch settlement of one line, bounded like a page. */
export const MAX_MATCH_ENTRIES = 100;

const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

function checkReason(request: ResolveBreakRequest): ValidationError | undefined {
  const { reason } = request;
  if (request.action === 'ADJUST' && (reason === null || reason.trim() === '')) return new ValidationError('An adjustment needs a reason.', 'reason');
  if (reason !== null && (reason.length > MAX_DESCRIPTION_LENGTH || CONTROL_CHARACTERS.test(reason))) {
    return new ValidationError(`reason may have at most ${MAX_DESCRIPTION_LENGTH} characters and no control characters.`, 'reason');
  }
  if (request.action !== 'MATCH' && request.entryIds.length > 0) return new ValidationError('entryIds are for MATCH only.', 'entryIds');
  return undefined;
}

/** MATCH: the break's line with entries of its settlement account that no one matched, summing to the line. */
function planMatch(request: ResolveBreakRequest, before: BreakSnapshot, entries: ReadonlyMap<string, EntryFact>): BreakResolutionPlan | ValidationError {
  if (before.kind !== 'UNMATCHED_STATEMENT') return new ValidationError('Only a statement line\'s break is matched by hand; resolve the line\'s break, or adjust.', 'action');
  if (before.lineMatched) return new ValidationError('This statement line is matched already.', 'breakId');
  const unique = [...new Set(request.entryIds)];
  if (unique.length === 0 || unique.length > MAX_MATCH_ENTRIES) return new ValidationError(`MATCH needs 1 to ${MAX_MATCH_ENTRIES} entryIds.`, 'entryIds');
  const named = unique.map((publicId) => entries.get(publicId));
  if (named.some((entry) => !entry || entry.accountId !== before.settlementAccountId)) return new ValidationError(`Every entry must be a posted entry of the ${before.channel} settlement account.`, 'entryIds');
  if (named.some((entry) => entry!.matched)) return new ValidationError('An entry is matched already.', 'entryIds');
  const total = named.reduce((sum, entry) => sum + entry!.amountMinor, 0n);
  if (total !== before.amountMinor) return new ValidationError('The entries do not sum to the line\'s amount; adjust the difference instead.', 'entryIds');
  return { before, status: 'MATCHED', reason: request.reason, matchedEntryIds: named.map((entry) => entry!.id), adjustment: undefined };
}

/**
 * ADJUST: an ADJUSTMENT that makes the settlement account agree with the statement, the other side
 * SUSPENSE. A positive difference (the rail brought the bank more than the ledger knows) debits the
 * settlement account; a negative one credits it. For a ledger entry the statement lacks, the
 * difference is minus the entry.
 */
function planAdjustment(request: ResolveBreakRequest, before: BreakSnapshot): BreakResolutionPlan | ValidationError {
  if (before.lineMatched || before.entriesMatched) return new ValidationError('This break\'s line or entry is matched already.', 'breakId');
  const differenceMinor = before.kind === 'UNMATCHED_LEDGER' ? -before.amountMinor : before.amountMinor;
  const magnitude = differenceMinor < 0n ? -differenceMinor : differenceMinor;
  if (magnitude === 0n) return new ValidationError('There is no difference to adjust.', 'breakId');
  const intoSettlement = differenceMinor > 0n;
  const adjustment = planMovement(
    { kind: 'ADJUSTMENT', channel: before.channel, amountMinor: magnitude, currency: before.currency, currencyExponent: before.currencyExponent },
    [
      { target: { internalCode: internalAccountCode(before.channel) }, direction: intoSettlement ? 'DEBIT' : 'CREDIT', amountMinor: magnitude, layer: 'POSTED' },
      { target: { internalCode: SUSPENSE }, direction: intoSettlement ? 'CREDIT' : 'DEBIT', amountMinor: magnitude, layer: 'POSTED' },
    ],
    [],
  );
  return { before, status: 'ADJUSTED', reason: request.reason, matchedEntryIds: [], adjustment };
}

/**
 * Resolving a reconciliation break (issue 10 §1), checks in order: 1 the key; 2 the actor is an
 * operator (FORBIDDEN; customers and services may not); 3 the reason (required for ADJUST, at most
 * MAX_DESCRIPTION_LENGTH, no control characters) and entryIds only with MATCH; 4 the break exists
 * (NOT_FOUND); 5 it is OPEN (VALIDATION: resolved once, whatever two operators race); 6 the
 * action's own checks: MATCH a statement line's break with unmatched entries of the settlement
 * account summing to the line; ADJUST a difference that is not zero; EXPECT_LATER an unmatched line
 * or entry (a mismatch is adjusted, not waited for). Pure.
 */
export function decideResolveBreak(
  request: ResolveBreakRequest,
  entries: ReadonlyMap<string, EntryFact>,
  snapshots: CommandSnapshots<BreakResolutionOutcome>,
  _now: Date,
): BreakResolutionPlan | LedgerError | Replay<BreakResolutionOutcome> {
  const early = checkKey(snapshots.key);
  if (early) return early;
  if (snapshots.actor.role !== 'OPERATOR') return new ForbiddenError('Only operators resolve reconciliation breaks.');
  const malformed = checkReason(request);
  if (malformed) return malformed;
  const before = snapshots.reconciliationBreak(request.breakId);
  if (!before) return new NotFoundError('No such reconciliation break.');
  if (before.status !== 'OPEN') return new ValidationError(`This break is ${before.status} already.`, 'breakId');
  switch (request.action) {
    case 'MATCH':
      return planMatch(request, before, entries);
    case 'ADJUST':
      return planAdjustment(request, before);
    case 'EXPECT_LATER':
      if (before.kind === 'MISMATCHED') return new ValidationError('A mismatch is not expected later; adjust the difference.', 'action');
      return { before, status: 'EXPECTED', reason: request.reason, matchedEntryIds: [], adjustment: undefined };
  }
}
