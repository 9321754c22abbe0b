import { NotFoundError } from '../ledger/errors.js';
import { disputeSequence } from '../ledger/queries/disputes.js';
import { disputeChanges } from '../pubsub/dispute-stream.js';
import { readDispute } from '../resolvers/disputes.js';
import { builder } from './builder.js';
import { DisputeType } from './dispute.js';

builder.subscriptionField('disputeUpdated', (t) =>
  t.field({
    type: DisputeType,
    description:
      "The dispute as it stands now, then again after every change. Its account's owners and operators may subscribe; anyone else gets NOT_FOUND. " +
      'Changes that come fast may arrive as one update showing the latest state.',
    args: { disputeId: t.arg.id({ required: true, description: 'The dispute to watch.' }) },
    subscribe: async (_root, args, context) => {
      const dispute = await readDispute(context, String(args.disputeId));
      if (!dispute) throw new NotFoundError('No such dispute.');
      return disputeChanges(context.live.bus, dispute.id, () => disputeSequence(context.orm.em.fork(), dispute.id));
    },
    resolve: async (event, _args, context) => {
      const dispute = await readDispute(context, event.disputeId, context.orm.em.fork());
      if (!dispute) throw new NotFoundError('No such dispute.');
      // A subscription lives long: do not let its loader cache keep old transactions.
      context.loaders.transactions.clearAll();
      return dispute;
    },
  }),
);
