import type { Context, ContextServices } from '../context.js';
import type { AuditEntry, AuditOrigin } from '../auth/audit.js';
import { recordAudits } from '../auth/audit.js';
import type { ServiceAuditAction } from '../auth/movement-audit.js';
import { postMovements, type BatchAnswer, type BatchPolicies, type ItemResult, type MovementItem, type MovementItemKind } from '../ledger/commands/post-movements.js';
import type { HoldOutcome, MovementOutcome } from '../ledger/commands/command.js';
import { BATCH_ERROR_CLASSES, BatchAbortedError, expectErrorOf, LedgerError, LimitExceededError, type BatchError, type HoldError, type MovementError } from '../ledger/errors.js';
import { canonicalId } from '../ledger/persistence/database.js';
import type { Actor } from '../ledger/types.js';
import { noteRetryHint } from '../transport/retry-hints.js';
import { movementItemsOf } from './batch-items.js';
import { toHoldChange, type HoldChangeView } from './holds.js';
import { toMovement, type MovementResultView } from './money-movement.js';
import { viewerOf } from './viewer.js';

/** One item's answer: what its single mutation would answer, or BATCH_ABORTED. */
export type MovementItemOutcomeView = MovementResultView | HoldChangeView | HoldError | MovementError | BatchAbortedError;

export interface BatchResultView {
  readonly items: readonly { readonly index: number; readonly result: MovementItemOutcomeView }[];
  readonly committed: number;
  readonly failed: number;
  readonly replayed: boolean;
}

export interface PostMovementsArgs {
  readonly items: readonly unknown[];
  readonly atomic: boolean;
  readonly idempotencyKey: string;
}

const SERVICE_ACTIONS: Readonly<Record<MovementItemKind, ServiceAuditAction>> = {
  deposit: 'service.deposit',
  withdraw: 'service.withdraw',
  transfer: 'service.transfer',
  authorizeHold: 'service.authorize_hold',
  captureHold: 'service.capture_hold',
  voidHold: 'service.void_hold',
};

/** The account or hold an item's audit line names, as its single mutation's line does. */
function targetOf(item: MovementItem): string {
  if (item.kind === 'transfer') return canonicalId(item.input.fromAccountId);
  return canonicalId('holdId' in item.input ? item.input.holdId : item.input.accountId);
}

/**
 * The audit lines of a batch, written in its unit: a service's every item (issue 8 §2), an
 * operator's deposits, each as its single mutation writes it, marked with the batch key.
 */
function batchAudit(origin: AuditOrigin, viewer: Actor, batchKey: string): BatchPolicies['withinUnit'] {
  if (viewer.role === 'CUSTOMER') return undefined;
  return (database, items, results) => {
    const entries: AuditEntry[] = items.flatMap((item, index) => {
      const action = viewer.role === 'SERVICE' ? SERVICE_ACTIONS[item.kind] : item.kind === 'deposit' ? 'operator.deposit' : undefined;
      const result = results[index];
      if (!action || !result) return [];
      const code = result.outcome.ok ? {} : { code: result.outcome.code };
      const channels = viewer.role === 'SERVICE' ? { channels: viewer.channels ?? [] } : {};
      const details = { idempotencyKey: item.input.idempotencyKey, batchIdempotencyKey: batchKey, ...channels, ...code, replayed: result.replayed };
      return [{ action, outcome: result.outcome.ok ? 'OK' : 'DENIED', actorUserId: viewer.userId, target: targetOf(item), details }];
    });
    return entries.length ? recordAudits(database, origin, entries) : Promise.resolve();
  };
}

function itemView(item: MovementItem, result: ItemResult, abortedBy: number | undefined): MovementItemOutcomeView {
  if (!result.outcome.ok && result.outcome.code === 'BATCH_ABORTED' && abortedBy !== undefined) return new BatchAbortedError(abortedBy, result.outcome.message);
  const isHold = item.kind === 'authorizeHold' || item.kind === 'captureHold' || item.kind === 'voidHold';
  return isHold ? toHoldChange(result as ItemResult & { outcome: HoldOutcome }) : toMovement(result as ItemResult & { outcome: MovementOutcome });
}

/** What a batch needs of the server, the same for the GraphQL mutation and POST /v1/batches. */
export type BatchServices = Pick<ContextServices, 'orm' | 'auth' | 'live' | 'fees' | 'availability' | 'risk'>;

/** A batch as it ran: its items (parsed) and the ledger's answer. */
export interface RanBatch {
  readonly items: readonly MovementItem[];
  readonly answer: BatchAnswer;
}

/**
 * The batch, for either door: the items parsed (one malformed item refuses the batch, nothing
 * stored), the caller's movement rate taken once for the whole batch, then the ledger's batch
 * (post-movements.ts) with the items' audit lines in its unit.
 */
export async function runBatch(services: BatchServices, viewer: Actor, origin: AuditOrigin, args: PostMovementsArgs): Promise<RanBatch | BatchError> {
  const items = movementItemsOf(args.items);
  if (items instanceof LedgerError) return items;
  const refusal = await services.auth.limits.allowMovement(viewer.userId);
  if (refusal) {
    const message = `Too many money movements this minute; retry with the same idempotency key in ${refusal.retryAfterSeconds} seconds.`;
    return new LimitExceededError(message, refusal.retryAfterSeconds);
  }
  const audit = batchAudit(origin, viewer, args.idempotencyKey);
  const policies: BatchPolicies = { availability: services.availability, fees: services.fees, risk: services.risk, ...(audit ? { withinUnit: audit } : {}) };
  const answer = await postMovements(services.orm, viewer, { items, atomic: args.atomic, idempotencyKey: args.idempotencyKey }, policies);
  if (answer instanceof LedgerError) return expectErrorOf(BATCH_ERROR_CLASSES, answer);
  // The items committed their balance events; publish them now rather than at the next poll.
  if (answer.items.some((result) => !result.replayed && result.outcome.ok)) services.live.relay.kick();
  return { items, answer };
}

/** The postMovements mutation: runBatch, then each item as its single mutation would answer it. */
export async function resolvePostMovements(context: Context, args: PostMovementsArgs): Promise<BatchResultView | BatchError> {
  const ran = await runBatch(context, viewerOf(context), context, args);
  if (ran instanceof LimitExceededError) return noteRetryHint(context, ran);
  if (ran instanceof LedgerError) return ran;
  const { items, answer } = ran;
  for (const result of answer.items) if (result.written) context.loaders.transactions.prime(result.written.id, result.written);
  const committed = answer.items.filter((result) => result.outcome.ok).length;
  return {
    items: answer.items.map((result, index) => ({ index, result: itemView(items[index]!, result, answer.abortedBy) })),
    committed,
    failed: answer.items.length - committed,
    replayed: answer.replayed,
  };
}
