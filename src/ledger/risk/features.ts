import { CHANNELS, type Channel } from '../types.js';

/**
 * The facts a risk rule may read (issue 9 §1): everything the command's prefetch loads before the
 * decision, so that deciding stays pure and a stored decision can be replayed from its features.
 * This list is what operators see when they write a rule: each feature has a CEL type and a
 * description, and a rule that names anything else does not compile.
 *
 * Every amount is an `int` in minor units of the movement's currency (cents for USD), as the
 * ledger keeps money; CEL ints are 64-bit, so arithmetic on them overflows loudly, never rounds.
 * "The account" is the account the movement debits (the source of a transfer, the account of a
 * withdrawal), or the account it credits for a deposit. "Leaving the customer" means paid to
 * another customer or out of the bank: a withdrawal, or a transfer to an account the customer does
 * not own; moving money between one's own accounts never leaves the customer.
 */

/** The CEL types features are declared with. */
export type FeatureType = 'int' | 'string' | 'bool' | typeof WINDOWS_TYPE | typeof WINDOWS_BY_CHANNEL_TYPE;

export interface FeatureDeclaration {
  readonly type: FeatureType;
  readonly description: string;
}

/**
 * The look-back windows of the velocity features, each ending at the decision's `now`: a window
 * of length L holds the earlier movements made in (now − L, now], so one made exactly 10 minutes
 * ago has left the 10-minute window. The 10-minute window is the built-in velocity rule's; the
 * others are the issue's 1 h / 24 h / 7 d.
 */
export const VELOCITY_WINDOWS = ['10m', '1h', '24h', '7d'] as const;
export type VelocityWindow = (typeof VELOCITY_WINDOWS)[number];

export const VELOCITY_WINDOW_MS: Readonly<Record<VelocityWindow, number>> = {
  '10m': 10 * 60_000,
  '1h': 60 * 60_000,
  '24h': 24 * 60 * 60_000,
  '7d': 7 * 24 * 60 * 60_000,
};

/** Counts and sums of the customer's earlier movements leaving them, per window: `count_1h`, `sum_1h` … */
export type OutgoingWindows = { readonly [Field in `count_${VelocityWindow}` | `sum_${VelocityWindow}`]: bigint };

/** The CEL type of an `OutgoingWindows` record. */
export const WINDOWS_TYPE = 'OutgoingWindows';
/** The CEL type of the per-channel record: one field per channel name, each an `OutgoingWindows`. */
export const WINDOWS_BY_CHANNEL_TYPE = 'OutgoingByChannel';

export const WINDOW_FIELDS: Readonly<Record<keyof OutgoingWindows, FeatureDeclaration>> = Object.fromEntries(
  VELOCITY_WINDOWS.flatMap((window) => [
    [`count_${window}`, { type: 'int', description: `How many movements left the customer in the last ${window}, before this one, in any currency.` }],
    [`sum_${window}`, { type: 'int', description: `Their total in the last ${window}, in minor units, counting only movements in this movement's currency.` }],
  ]),
) as Record<keyof OutgoingWindows, FeatureDeclaration>;

/** Everything a rule reads about one movement, as the decide step receives it. */
export interface RiskFeatures {
  readonly amount: bigint;
  readonly currency: string;
  readonly channel: Channel;
  readonly kind: string;
  readonly leavesCustomer: boolean;
  readonly accountAgeDays: bigint;
  readonly balance: bigint;
  readonly accountStatus: string;
  readonly outgoing: OutgoingWindows;
  readonly outgoingByChannel: Readonly<Record<Channel, OutgoingWindows>>;
  readonly cashDepositedToday: bigint;
  readonly cashWithdrawnToday: bigint;
  readonly payeeKnown: boolean;
  readonly daysSinceLastActivity: bigint;
}

export const FEATURES: Readonly<Record<keyof RiskFeatures, FeatureDeclaration>> = {
  amount: { type: 'int', description: "The movement's amount in minor units of its currency (a transfer's or wire's principal, without fees); always positive." },
  currency: { type: 'string', description: 'The ISO 4217 code of the movement, e.g. "USD".' },
  channel: { type: 'string', description: `The rail the money uses: ${CHANNELS.map((channel) => `"${channel}"`).join(', ')}.` },
  kind: { type: 'string', description: 'What the movement is: "DEPOSIT", "WITHDRAWAL", "TRANSFER" or "HOLD" (a card authorization).' },
  leavesCustomer: { type: 'bool', description: 'The money goes to another customer or out of the bank (a withdrawal, or a transfer to an account the customer does not own); false between their own accounts and for deposits.' },
  accountAgeDays: { type: 'int', description: 'Whole days since the account was opened (0 on its first day).' },
  balance: { type: 'int', description: "The account's available balance (posted minus held) before this movement, in minor units; negative when overdrawn." },
  accountStatus: { type: 'string', description: 'The account\'s status: "OPEN", "FROZEN" or "CLOSED".' },
  outgoing: { type: WINDOWS_TYPE, description: 'The customer\'s earlier movements leaving them, over all channels and all their accounts: outgoing.count_10m, outgoing.sum_10m, and the same for 1h, 24h and 7d.' },
  outgoingByChannel: { type: WINDOWS_BY_CHANNEL_TYPE, description: 'The same windows per channel, e.g. outgoingByChannel.WIRE.sum_24h; every channel is present (zeros when unused).' },
  cashDepositedToday: { type: 'int', description: "Cash the customer deposited into any of their accounts earlier this banking day (the bank's time zone and cut-off), in minor units of this movement's currency." },
  cashWithdrawnToday: { type: 'int', description: 'Cash the customer withdrew from any of their accounts earlier this banking day, in minor units of this movement\'s currency.' },
  payeeKnown: { type: 'bool', description: 'For a transfer leaving the customer: they paid this destination account before. False for every other movement.' },
  daysSinceLastActivity: { type: 'int', description: 'Whole days since the last movement on the account (since it opened when it never moved); 180 or more is dormant.' },
};

export const FEATURE_NAMES = Object.keys(FEATURES) as (keyof RiskFeatures)[];

/** Every window at zero, made once: records are never changed in place (adding makes a new one), and every judged movement starts from it. */
const ZERO_WINDOWS: OutgoingWindows = Object.freeze(Object.fromEntries(Object.keys(WINDOW_FIELDS).map((field) => [field, 0n])) as OutgoingWindows);
const ZERO_BY_CHANNEL: Readonly<Record<Channel, OutgoingWindows>> = Object.freeze(Object.fromEntries(CHANNELS.map((channel) => [channel, ZERO_WINDOWS])) as Record<Channel, OutgoingWindows>);

/** A record with every window at zero: what a customer who never paid anybody has (frozen, shared). */
export function emptyWindows(): OutgoingWindows {
  return ZERO_WINDOWS;
}

/** Every channel at zero, for features of a customer with no outgoing history: a new record (its channels may be replaced), each channel the shared zeros. */
export function emptyWindowsByChannel(): Record<Channel, OutgoingWindows> {
  return { ...ZERO_BY_CHANNEL };
}
