import type { Context } from '../context.js';
import { recordAudit } from '../auth/audit.js';
import { checkJournal, type JournalStatusView } from '../journal/journal-status.js';
import { operatorOf } from './reviews.js';

/**
 * `journalStatus` (operators only, FORBIDDEN for customers before anything is read): replays the
 * chain, keeps the verification, and answers the sealer's backlog. The replay's record and the
 * audit line commit together in their own unit (the request's unit of work is read-only).
 */
export async function resolveJournalStatus(context: Context): Promise<JournalStatusView> {
  const viewer = operatorOf(context);
  return context.orm.em.fork().transactional(async (database) => {
    const status = await checkJournal(database);
    await recordAudit(database, context, {
      action: 'operator.verify_journal',
      outcome: 'OK',
      actorUserId: viewer.userId,
      target: null,
      details: { sealedPosition: status.sealedPosition, brokenAt: status.brokenAt },
    });
    return status;
  });
}
