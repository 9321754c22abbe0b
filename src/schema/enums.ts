import { ACCOUNT_STATUSES, ACCOUNT_TYPES, CHANNELS, ROLES, TRANSACTION_KINDS } from '../ledger/types.js';
import { builder } from './builder.js';

export const AccountTypeEnum = builder.enumType('AccountType', {
  description: 'What an account is for.',
  values: Object.fromEntries(ACCOUNT_TYPES.map((value) => [value, {}])) as Record<(typeof ACCOUNT_TYPES)[number], object>,
});

export const AccountStatusEnum = builder.enumType('AccountStatus', {
  description: 'OPEN accounts move money; FROZEN and CLOSED accounts refuse movements with ACCOUNT_NOT_OPEN.',
  values: Object.fromEntries(ACCOUNT_STATUSES.map((value) => [value, {}])) as Record<(typeof ACCOUNT_STATUSES)[number], object>,
});

const CHANNEL_DESCRIPTIONS: Record<(typeof CHANNELS)[number], string> = {
  CASH: 'Cash at a branch; the bank side is the cash vault.',
  CHECK: 'A paper or mobile check.',
  DIRECT_DEPOSIT: 'Payroll and other automatic deposits (deposits only).',
  ACH: 'ACH credit or pre-authorized ACH debit.',
  WIRE: 'A wire transfer.',
  PAYPAL: 'PayPal.',
  ZELLE: 'Zelle.',
  CARD: 'A card network.',
  ATM: 'An automated teller machine.',
  THIRD_PARTY: 'Another third-party application.',
  INTERNAL: 'Between accounts inside Tally (transfers); not accepted for deposits or withdrawals.',
};

export const ChannelEnum = builder.enumType('Channel', {
  description: 'The rail money moved on. Each external channel posts against its own settlement account.',
  values: Object.fromEntries(CHANNELS.map((value) => [value, { description: CHANNEL_DESCRIPTIONS[value] }])) as Record<
    (typeof CHANNELS)[number],
    { description: string }
  >,
});

const TRANSACTION_KIND_DESCRIPTIONS: Record<(typeof TRANSACTION_KINDS)[number], string> = {
  DEPOSIT: 'Money in from outside the bank, on a channel.',
  WITHDRAWAL: 'Money out of the bank, on a channel (a WIRE also posts its fee to the bank\'s fee income).',
  TRANSFER: 'Between two accounts inside Tally.',
  HOLD: 'A hold or card authorization: PENDING-layer entries that lower the available balance, nothing posted.',
  HOLD_CAPTURE: 'A capture of a hold: releases the held amount and posts the captured one, in one change.',
  HOLD_RELEASE: 'A void or an expiry of a hold: releases what it still held.',
  REVERSAL: 'The exact opposite of the POSTED entries of an earlier transaction (of a capture: what it posted, not its release of the hold), linked to it (reverses / reversedBy).',
  RETURN: 'A deposited item the bank could not collect (a bounced check, a returned ACH credit), taken back by an operator: debits the deposit back and releases its availability holds (returns / returnedBy, returnReason).',
  FEE: 'A fee charged on its own.',
  ADJUSTMENT: 'A correction made by the bank.',
};

export const TransactionKindEnum = builder.enumType('TransactionKind', {
  description: 'The business meaning of a transaction.',
  values: Object.fromEntries(TRANSACTION_KINDS.map((value) => [value, { description: TRANSACTION_KIND_DESCRIPTIONS[value] }])) as Record<
    (typeof TRANSACTION_KINDS)[number],
    { description: string }
  >,
});

export const TransactionStatusEnum = builder.enumType('TransactionStatus', {
  description: 'Where a transaction stands.',
  values: {
    PENDING: { description: 'A hold: its money is reserved on the PENDING layer, not posted.' },
    POSTED: { description: 'It has moved money.' },
    REVERSED: { description: 'It was posted and a REVERSAL undid it (see reversedBy); the row itself is never edited.' },
    RETURNED: {
      description:
        'A deposit that was returned (a RETURN took it back: see returnedBy and returnReason), or a check the customer wrote that was refused for insufficient funds and moved nothing (see returnReason).',
    },
  } as const,
});

export const DirectionEnum = builder.enumType('Direction', {
  description: 'The side of a double-entry posting. On a customer account a CREDIT adds money and a DEBIT removes it.',
  values: { DEBIT: {}, CREDIT: {} } as const,
});

export const LayerEnum = builder.enumType('Layer', {
  description: 'Where an entry lands. Per currency and per layer, a transaction\'s debits equal its credits.',
  values: {
    POSTED: { description: 'Final money: the posted balance is the sum of an account\'s POSTED entries.' },
    PENDING: { description: 'Held money (a hold, an availability delay): the pending balance is minus the sum of an account\'s PENDING entries.' },
  } as const,
});

const ROLE_DESCRIPTIONS: Record<(typeof ROLES)[number], string> = {
  CUSTOMER: 'A holder: sees and moves the money of accounts they own; deposits checks, withdraws and transfers on ACH, WIRE, ZELLE, PAYPAL, THIRD_PARTY and INTERNAL.',
  OPERATOR: "The bank's staff (a teller): deposits to any account on any channel, voids holds, returns and reverses; reads any account (audited); never withdraws or transfers.",
  SERVICE:
    'A rail integration (the ATM network, the card processor, the ACH processor): deposits, withdraws, authorizes, captures and voids on any customer account, only on its own channels; every call is audited. It lists no accounts and reads none.',
};

export const RoleEnum = builder.enumType('Role', {
  description: 'What a signed-in user may do (README "Who may do what").',
  values: Object.fromEntries(ROLES.map((value) => [value, { description: ROLE_DESCRIPTIONS[value] }])) as Record<(typeof ROLES)[number], { description: string }>,
});
