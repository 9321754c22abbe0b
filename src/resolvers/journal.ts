import type { Context } from '../context.js';
import { recordAudit } from '../auth/audit.js';
import { checkJournalOnce, type JournalStatusView } from '../journal/journal-status.js';
import { operatorOf } from './reviews.js';

/**
 * `journalStatus` (operators only, FORBIDDEN for customers before anything is read): replays the
 * chain in one snapshot, keeps the verification, and answers the sealer's backlog. The replay's
 * record and the audit line commit together in their own unit (the request's is read-only).
 */
export async function resolveJournalStatus(context: Context): Promise<JournalStatusView> {
  const viewer = operatorOf(context);
  return checkJournalOnce(context.orm, (database, status) =>
    recordAudit(database, context, {
      action: 'operator.verify_journal',
      outcome: 'OK',
      actorUserId: viewer.userId,
      target: null,
      details: { sealedPosition: status.sealedPosition, brokenAt: status.brokenAt },
    }),
  );
}
