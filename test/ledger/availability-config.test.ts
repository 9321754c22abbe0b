import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { DEFAULT_AVAILABILITY_POLICY } from '../../src/ledger/decide/availability-policy.js';

// A configured database keeps loadConfig from generating secrets on disk.
const base = { DATABASE_URL: 'postgres://db/tally', JWT_SECRET: 's'.repeat(32), ENCRYPTION_KEY: 'k'.repeat(32) };

describe('funds-availability configuration', () => {
  it('defaults to issue 8\'s figures: 275.00, 6,725.00, 30 days, the ninth business day, immediate; New York, 17:00, 09:00', () => {
    expect(loadConfig(base).availability).toEqual({
      nextDayAmountCents: 275_00n,
      largeDepositThresholdCents: 6_725_00n,
      newAccountDays: 30,
      exceptionBusinessDays: 9,
      cashAndElectronic: 'immediate',
      calendar: { timeZone: 'America/New_York', cutoffLocalTime: '17:00', fundsAvailableLocalTime: '09:00' },
    });
    expect(loadConfig(base).availability).toEqual(DEFAULT_AVAILABILITY_POLICY);
  });

  it('reads every variable', () => {
    const availability = loadConfig({
      ...base,
      AVAILABILITY_NEXT_DAY_AMOUNT: '300',
      AVAILABILITY_LARGE_DEPOSIT_THRESHOLD: '5000.50',
      AVAILABILITY_NEW_ACCOUNT_DAYS: '0',
      AVAILABILITY_EXCEPTION_BUSINESS_DAYS: '7',
      AVAILABILITY_ELECTRONIC: 'next-business-day',
      BANK_TIME_ZONE: 'America/Chicago',
      BANK_CUTOFF_LOCAL_TIME: '14:00',
      BANK_FUNDS_AVAILABLE_LOCAL_TIME: '08:30',
    }).availability;
    expect(availability).toEqual({
      nextDayAmountCents: 300_00n,
      largeDepositThresholdCents: 5_000_50n,
      newAccountDays: 0,
      exceptionBusinessDays: 7,
      cashAndElectronic: 'next-business-day',
      calendar: { timeZone: 'America/Chicago', cutoffLocalTime: '14:00', fundsAvailableLocalTime: '08:30' },
    });
  });

  it.each([
    [{ AVAILABILITY_NEXT_DAY_AMOUNT: 'lots' }, 'AVAILABILITY_NEXT_DAY_AMOUNT'],
    [{ AVAILABILITY_NEXT_DAY_AMOUNT: '275.001' }, 'AVAILABILITY_NEXT_DAY_AMOUNT'],
    [{ AVAILABILITY_NEXT_DAY_AMOUNT: '-1' }, 'AVAILABILITY_NEXT_DAY_AMOUNT'],
    [{ AVAILABILITY_NEXT_DAY_AMOUNT: '1000000000.01' }, 'AVAILABILITY_NEXT_DAY_AMOUNT'],
    [{ AVAILABILITY_LARGE_DEPOSIT_THRESHOLD: '274.99' }, 'AVAILABILITY_LARGE_DEPOSIT_THRESHOLD'],
    [{ AVAILABILITY_NEW_ACCOUNT_DAYS: '366' }, 'AVAILABILITY_NEW_ACCOUNT_DAYS'],
    [{ AVAILABILITY_EXCEPTION_BUSINESS_DAYS: '1' }, 'AVAILABILITY_EXCEPTION_BUSINESS_DAYS'],
    [{ AVAILABILITY_EXCEPTION_BUSINESS_DAYS: 'nine' }, 'AVAILABILITY_EXCEPTION_BUSINESS_DAYS'],
    [{ AVAILABILITY_ELECTRONIC: 'later' }, 'AVAILABILITY_ELECTRONIC'],
    [{ BANK_TIME_ZONE: 'Mars/Olympus_Mons' }, 'BANK_TIME_ZONE'],
    [{ BANK_CUTOFF_LOCAL_TIME: '25:00' }, 'BANK_CUTOFF_LOCAL_TIME'],
    [{ BANK_CUTOFF_LOCAL_TIME: '5pm' }, 'BANK_CUTOFF_LOCAL_TIME'],
    [{ BANK_CUTOFF_LOCAL_TIME: '11:59' }, 'BANK_CUTOFF_LOCAL_TIME'],
    [{ BANK_FUNDS_AVAILABLE_LOCAL_TIME: '9:00' }, 'BANK_FUNDS_AVAILABLE_LOCAL_TIME'],
    [{ BANK_FUNDS_AVAILABLE_LOCAL_TIME: '17:00' }, 'BANK_FUNDS_AVAILABLE_LOCAL_TIME'],
  ])('%j names %s in one line', (environment, variable) => {
    let thrown: unknown;
    try {
      loadConfig({ ...base, ...environment });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).variable).toBe(variable);
    expect((thrown as ConfigError).message).toMatch(new RegExp(`^${variable} [^\\n]+$`));
  });

  it('a bad value stops `npm start` with one line naming the variable', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { ...process.env, ...base, DATABASE_URL: 'postgres://127.0.0.1/none', PORT: '1', BANK_CUTOFF_LOCAL_TIME: '11:00' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      'tally: configuration error: BANK_CUTOFF_LOCAL_TIME must be 12:00 or later (Reg CC 229.19(a)(5)), got 11:00',
    ]);
  });
});
