import type { CommandSnapshots, KeyState, StoredOutcome } from '../../src/ledger/commands/command.js';
import type { AccountSnapshot, Channel, Role } from '../../src/ledger/types.js';
import type { CheckDepositFacts, HoldSnapshot } from '../../src/ledger/commands/unit-state.js';
import type { RiskInputs } from '../../src/ledger/risk/judge-movement.js';
import type { DisputeSnapshot } from '../../src/ledger/disputes/dispute-snapshot.js';
import type { BreakSnapshot } from '../../src/ledger/reconciliation/break-snapshot.js';

export const TEST_NOW = new Date('2026-12-01T10:00:00.000Z');
export const ACTOR_ID = '00000000-0000-4000-8000-0000000000aa';

/** What a decide function is given, from plain snapshots (their `ownedByActor` as written). */
export function snapshotsOf<Outcome extends StoredOutcome>(
  accounts: ReadonlyArray<AccountSnapshot | undefined>,
  options: {
    role?: Role;
    channels?: readonly Channel[];
    key?: KeyState<Outcome>;
    ownedAccounts?: number;
    reversed?: ReadonlyMap<string, boolean>;
    holds?: readonly HoldSnapshot[];
    checkDeposits?: ReadonlyMap<string, CheckDepositFacts>;
    risk?: RiskInputs;
    disputes?: readonly DisputeSnapshot[];
    disputed?: ReadonlyMap<string, boolean>;
    breaks?: readonly BreakSnapshot[];
  } = {},
): CommandSnapshots<Outcome> {
  const byId = new Map(accounts.filter((account): account is AccountSnapshot => account !== undefined).map((account) => [account.id, account]));
  return {
    key: options.key ?? { kind: 'fresh' },
    actor: { userId: ACTOR_ID, role: options.role ?? 'CUSTOMER', ...(options.channels ? { channels: options.channels } : {}) },
    account: (accountId) => byId.get(accountId),
    ownedAccountCount: (userId) => (userId === ACTOR_ID ? (options.ownedAccounts ?? 0) : undefined),
    isReversed: (transactionId) => options.reversed?.get(transactionId),
    hold: (holdId) => options.holds?.find((hold) => hold.id === holdId),
    checkDepositFacts: (accountId) => options.checkDeposits?.get(accountId),
    riskInputs: () => options.risk,
    review: () => undefined,
    dispute: (disputeId) => options.disputes?.find((dispute) => dispute.id === disputeId),
    isDisputed: (transactionId) => options.disputed?.get(transactionId),
    reconciliationBreak: (breakId) => options.breaks?.find((item) => item.id === breakId),
  };
}
