import type { JournalStatusView } from '../journal/journal-status.js';
import { resolveJournalStatus } from '../resolvers/journal.js';
import { builder } from './builder.js';

const JournalStatusType = builder.objectRef<JournalStatusView>('JournalStatus').implement({
  description:
    'The tamper-evident journal, replayed from the database just now: every state change is one record, and a sealer chains committed records ' +
    'as hash(n) = SHA-256(hash(n-1) ‖ n ‖ record n) from 64 zeros, with a block header every 1,000 (README "Auditing the journal").',
  fields: (t) => ({
    sealedPosition: t.int({ description: 'The last position of the chain: how many records are sealed.', resolve: (status) => status.sealedPosition }),
    headHash: t.exposeString('headHash', { description: 'The hash at sealedPosition, 64 hex digits (64 zeros while nothing is sealed). Note it down: a later head must extend it.' }),
    unsealed: t.exposeInt('unsealed', { description: 'Committed records the sealer has not chained yet.' }),
    lagSeconds: t.exposeFloat('lagSeconds', { description: 'How long the oldest unsealed record has waited, in seconds; 0 when none waits.' }),
    lastVerified: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When a replay last found the whole chain intact (this one, when brokenAt is null); null if none ever has.',
      resolve: (status) => status.lastVerified,
    }),
    brokenAt: t.int({
      nullable: true,
      description: 'The first position whose record is missing or edited, whose hash does not replay, or whose block header is wrong; null when the chain holds.',
      resolve: (status) => status.brokenAt,
    }),
  }),
});

builder.queryField('journalStatus', (t) =>
  t.field({
    type: JournalStatusType,
    description: 'Operators only (FORBIDDEN for customers), audited: replays the journal\'s hash chain and reports its head, the first broken position and the sealer\'s lag.',
    resolve: (_root, _args, context) => resolveJournalStatus(context),
  }),
);
