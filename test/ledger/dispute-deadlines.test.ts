import { describe, expect, it } from 'vitest';
import { disputeDeadlines, isNewAccount, reversalNotBefore, withinDisputeWindow } from '../../src/ledger/disputes/dispute-deadlines.js';
import { DEFAULT_DISPUTE_POLICY } from '../../src/ledger/disputes/dispute-policy.js';
import { readDisputePolicy } from '../../src/dispute-config.js';

const policy = DEFAULT_DISPUTE_POLICY;
const longAgo = new Date('2025-01-02T15:00:00Z');
const at = (iso: string) => new Date(iso);

/**
 * Regulation E deadlines in New York business days (Federal Reserve holidays; a Saturday holiday
 * is not moved to Friday). Each row: when the notice came, and the deadlines as instants (the
 * deadline day's local midnight: 04:00Z in summer, 05:00Z in winter).
 */
describe('provisional credit and resolution deadlines', () => {
  it.each([
    // opened, provisionalCreditBy, resolutionBy, why
    ['2026-12-01T15:00:00Z', '2026-12-15T05:00:00Z', '2027-01-16T05:00:00Z', 'a Tuesday: two weekends in ten business days'],
    ['2026-12-18T15:00:00Z', '2027-01-05T05:00:00Z', '2027-02-02T05:00:00Z', 'over Christmas (Fri) and New Year (Fri)'],
    ['2026-12-19T15:00:00Z', '2027-01-05T05:00:00Z', '2027-02-03T05:00:00Z', 'a Saturday notice counts from the Saturday'],
    ['2026-11-18T15:00:00Z', '2026-12-03T05:00:00Z', '2027-01-03T05:00:00Z', 'over Thanksgiving (Thu); the Friday after is a business day'],
    ['2026-06-29T15:00:00Z', '2026-07-13T04:00:00Z', '2026-08-14T04:00:00Z', 'Independence Day on a Saturday: Friday 07-03 stays a business day'],
    ['2026-12-02T03:00:00Z', '2026-12-15T05:00:00Z', '2027-01-16T05:00:00Z', '22:00 in New York is still Dec 1 there'],
  ])('notice at %s: credit by %s, resolution by %s (%s)', (opened, creditBy, resolutionBy) => {
    const deadlines = disputeDeadlines({ openedAt: at(opened), accountOpenedAt: longAgo, extendedInvestigation: false }, policy);
    expect(deadlines.provisionalCreditBy.toISOString()).toBe(new Date(creditBy).toISOString());
    expect(deadlines.resolutionBy.toISOString()).toBe(new Date(resolutionBy).toISOString());
  });

  it('a new account: 20 business days for the credit and 90 calendar days for the resolution', () => {
    const deadlines = disputeDeadlines({ openedAt: at('2026-12-01T15:00:00Z'), accountOpenedAt: at('2026-11-20T15:00:00Z'), extendedInvestigation: false }, policy);
    expect(deadlines.provisionalCreditBy.toISOString()).toBe('2026-12-30T05:00:00.000Z');
    expect(deadlines.resolutionBy.toISOString()).toBe('2027-03-02T05:00:00.000Z');
  });

  it('a point-of-sale or foreign debit: the ordinary credit deadline, 90 days to resolve', () => {
    const deadlines = disputeDeadlines({ openedAt: at('2026-12-01T15:00:00Z'), accountOpenedAt: longAgo, extendedInvestigation: true }, policy);
    expect(deadlines.provisionalCreditBy.toISOString()).toBe('2026-12-15T05:00:00.000Z');
    expect(deadlines.resolutionBy.toISOString()).toBe('2027-03-02T05:00:00.000Z');
  });

  it('an account is new for fewer than 30 calendar days, by the bank’s dates', () => {
    const notice = at('2026-12-01T15:00:00Z');
    expect(isNewAccount({ openedAt: notice, accountOpenedAt: at('2026-11-01T15:00:00Z') }, policy)).toBe(false);
    expect(isNewAccount({ openedAt: notice, accountOpenedAt: at('2026-11-02T15:00:00Z') }, policy)).toBe(true);
    // 01:00Z on Nov 2 is still Nov 1 in New York.
    expect(isNewAccount({ openedAt: notice, accountOpenedAt: at('2026-11-02T01:00:00Z') }, policy)).toBe(false);
  });

  it('configuration changes the figures', () => {
    const custom = readDisputePolicy({ DISPUTE_PROVISIONAL_CREDIT_BUSINESS_DAYS: '5', DISPUTE_RESOLUTION_DAYS: '30' }, 'America/New_York');
    const deadlines = disputeDeadlines({ openedAt: at('2026-12-01T15:00:00Z'), accountOpenedAt: longAgo, extendedInvestigation: false }, custom);
    expect(deadlines.provisionalCreditBy.toISOString()).toBe('2026-12-08T05:00:00.000Z');
    expect(deadlines.resolutionBy.toISOString()).toBe('2027-01-01T05:00:00.000Z');
    expect(() => readDisputePolicy({ DISPUTE_NEW_ACCOUNT_PROVISIONAL_CREDIT_BUSINESS_DAYS: '5' }, 'America/New_York')).toThrow(/at least/);
    expect(() => readDisputePolicy({ DISPUTE_EXTENDED_RESOLUTION_DAYS: '10' }, 'America/New_York')).toThrow(/at least/);
    expect(readDisputePolicy({}, 'America/New_York').bankCountry).toBe('US');
    expect(readDisputePolicy({ BANK_COUNTRY: 'DE' }, 'Europe/Berlin').bankCountry).toBe('DE');
    expect(() => readDisputePolicy({ BANK_COUNTRY: 'USA' }, 'America/New_York')).toThrow(/BANK_COUNTRY/);
    expect(() => readDisputePolicy({ BANK_COUNTRY: 'us' }, 'America/New_York')).toThrow(/BANK_COUNTRY/);
  });
});

describe('reversal notice', () => {
  it.each([
    ['2026-12-18T15:00:00Z', '2026-12-28T05:00:00Z', 'over Christmas'],
    ['2026-07-02T15:00:00Z', '2026-07-09T04:00:00Z', 'Friday 07-03 counts: the Saturday holiday is not moved'],
    ['2027-06-17T15:00:00Z', '2027-06-24T04:00:00Z', 'Juneteenth 2027 is a Saturday: Friday 06-18 counts'],
    ['2026-11-25T15:00:00Z', '2026-12-03T05:00:00Z', 'over Thanksgiving'],
  ])('told at %s: reversal not before %s (%s)', (noticed, notBefore) => {
    expect(reversalNotBefore(at(noticed), policy).toISOString()).toBe(new Date(notBefore).toISOString());
  });
});

describe('the 60-day window', () => {
  it('counts calendar days from the posting, by the bank’s dates', () => {
    const posted = at('2026-10-02T15:00:00Z');
    expect(withinDisputeWindow(posted, at('2026-12-01T23:00:00Z'), policy)).toBe(true);
    // 04:00Z on Dec 2 is still Dec 1 in New York.
    expect(withinDisputeWindow(posted, at('2026-12-02T04:00:00Z'), policy)).toBe(true);
    expect(withinDisputeWindow(posted, at('2026-12-02T15:00:00Z'), policy)).toBe(false);
  });
});
