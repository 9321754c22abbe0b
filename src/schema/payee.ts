import { resolvePayee, type PayeeView } from '../resolvers/payee.js';
import { builder } from './builder.js';

const PayeeType = builder.objectRef<PayeeView>('Payee').implement({
  description: 'An open customer account you can pay, found by its number: pass accountId as a transfer\'s toAccountId. Its balance stays private.',
  fields: (t) => ({
    accountId: t.exposeID('accountId', { description: 'The account\'s id, for TransferInput.toAccountId.' }),
    currency: t.exposeString('currency', { description: 'ISO 4217 code: a transfer must come from an account of the same currency.' }),
    holderName: t.exposeString('holderName', {
      description:
        'The holder\'s name, masked to a fixed shape so you can recognise it without learning it: "Bob Smith" is "B*** S****" ' +
        '(first word\'s initial and three stars, last word\'s initial and four stars, whatever their length).',
    }),
  }),
});

builder.queryField('payee', (t) =>
  t.field({
    type: PayeeType,
    nullable: true,
    description:
      'Looks up an account to pay by its 11-digit number. Null when it is not an open customer account (unknown, frozen, closed or the bank\'s own), and always for a service, which pays no one. ' +
      'Every look-up counts against an hourly allowance per user (RATE_LIMIT_PAYEE_LOOKUPS_PER_HOUR, 20); past it, LIMIT_EXCEEDED with extensions.retryAfterSeconds.',
    args: { accountNumber: t.arg.string({ required: true, description: 'The payee\'s account number, as the payee gave it: 11 digits (spaces and dashes are ignored).' }) },
    resolve: (_root, args, context) => resolvePayee(context, args.accountNumber),
  }),
);
