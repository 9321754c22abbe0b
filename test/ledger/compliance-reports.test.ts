import { describe, expect, it } from 'vitest';
import { DEFAULT_BANK_CALENDAR } from '../../src/ledger/calendar/business-days.js';
import type { CashMovement } from '../../src/ledger/compliance/cash-movement.js';
import { currencyTransactionReport } from '../../src/ledger/compliance/currency-transaction-report.js';
import { structuringReport } from '../../src/ledger/compliance/structuring-report.js';

/** Pure report building over hand-made cash movements (the integration test posts real ones). */
let serial = 0;
function cash(at: string, amountMinor: bigint, customerId = 'alice', kind: CashMovement['kind'] = 'DEPOSIT'): CashMovement {
  serial += 1;
  return { transactionId: `t${String(serial).padStart(3, '0')}`, at: new Date(at), customerId, customerUsername: customerId, accountId: `a-${customerId}`, accountNumber: '12345678901', kind, currency: 'USD', currencyExponent: 2, amountMinor };
}

describe('the currency transaction report counts by banking day (New York, 17:00 cut-off, weekends and holidays to the next business day)', () => {
  it.each([
    // Saturday 7 March 2026 belongs to Monday 9 March's banking day.
    { name: 'Saturday and Monday morning are one banking day', movements: [['2026-03-07T15:00:00Z', 400_001n], ['2026-03-09T14:00:00Z', 600_000n]], days: ['2026-03-09'] },
    { name: 'Friday before the cut-off and Saturday are not', movements: [['2026-03-06T20:00:00Z', 400_001n], ['2026-03-07T15:00:00Z', 600_000n]], days: [] },
    // Thursday 26 November 2026 is Thanksgiving: its cash is Friday's.
    { name: 'a holiday counts with the next business day', movements: [['2026-11-26T15:00:00Z', 500_000n], ['2026-11-27T15:00:00Z', 500_001n]], days: ['2026-11-27'] },
    { name: 'exactly 10,000.00 is not over', movements: [['2026-03-09T14:00:00Z', 500_000n], ['2026-03-09T15:00:00Z', 500_000n]], days: [] },
  ] as const)('$name', ({ movements, days }) => {
    const report = currencyTransactionReport(movements.map(([at, amount]) => cash(at, amount)), DEFAULT_BANK_CALENDAR);
    expect(report.map((group) => group.bankingDay)).toEqual(days);
  });

  it('deposits and withdrawals are summed apart; customers apart; other currencies are left out', () => {
    const report = currencyTransactionReport(
      [
        cash('2026-03-09T14:00:00Z', 600_000n, 'alice', 'DEPOSIT'),
        cash('2026-03-09T15:00:00Z', 600_000n, 'alice', 'WITHDRAWAL'),
        cash('2026-03-09T16:00:00Z', 600_000n, 'bob', 'DEPOSIT'),
        { ...cash('2026-03-09T16:00:00Z', 2_000_000n, 'carol'), currency: 'EUR' },
      ],
      DEFAULT_BANK_CALENDAR,
    );
    expect(report).toEqual([]);
  });
});

describe('structuring windows', () => {
  it('a window that does not qualify moves on by one movement; a reported one after its last movement', () => {
    const movements = [
      cash('2026-03-02T15:00:00Z', 300_000n),
      // 72 hours after the first: outside its window, so the first window is 3,000.00 alone.
      cash('2026-03-05T15:00:00Z', 500_000n),
      cash('2026-03-06T15:00:00Z', 500_001n),
      cash('2026-03-07T15:00:00Z', 900_000n),
      cash('2026-03-08T15:00:00Z', 300_000n),
    ];
    const report = structuringReport(movements);
    expect(report.map((window) => [window.movements.map((movement) => movement.transactionId), window.totalMinor])).toEqual([
      [[movements[1]!.transactionId, movements[2]!.transactionId, movements[3]!.transactionId], 1_900_001n],
    ]);
  });
});
