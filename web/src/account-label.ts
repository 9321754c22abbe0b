/** Account type names as a customer says them. */
const TYPE_NAMES: Record<string, string> = { CHECKING: 'Checking', SAVINGS: 'Savings' };

interface Named {
  readonly nickname?: string | null;
  readonly type: string;
  readonly number: string;
}

/** "Holiday fund" or "Savings", as the account is called on every screen. */
export function accountName(account: Named): string {
  return account.nickname ?? TYPE_NAMES[account.type] ?? account.type;
}

/** The name with the last four digits of the number: enough to tell accounts apart, not to copy. */
export function accountLabel(account: Named): string {
  return `${accountName(account)} ····${account.number.slice(-4)}`;
}
