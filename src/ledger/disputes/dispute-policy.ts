/**
 * Regulation E's dispute timelines (12 CFR 1005.11) as configuration (README "Disputes"): the
 * defaults are the regulation's. Counted in the bank's time zone (BANK_TIME_ZONE).
 */
export interface DisputePolicy {
  /** A debit may be disputed within this many calendar days of its posting (1005.11(b)(1): 60). */
  readonly windowDays: number;
  /** The provisional credit is due by this business day after the notice (1005.11(c)(2): 10). */
  readonly provisionalCreditBusinessDays: number;
  /** The same for a new account (1005.11(c)(3)(ii): 20). */
  readonly newAccountProvisionalCreditBusinessDays: number;
  /** An account opened fewer than this many calendar days before the notice is new (30). */
  readonly newAccountDays: number;
  /** The investigation ends by this calendar day after the notice (1005.11(c)(2)(i): 45). */
  readonly resolutionDays: number;
  /** The same for a new account, a point-of-sale debit or a foreign-initiated one (1005.11(c)(3)(ii): 90). */
  readonly extendedResolutionDays: number;
  /** A provisional credit is reversed no earlier than this many business days after the notice (5). */
  readonly reversalNoticeBusinessDays: number;
  /** The bank's IANA time zone: which calendar day an instant belongs to. */
  readonly timeZone: string;
  /** The bank's country, ISO 3166-1 alpha-2 (BANK_COUNTRY, default US): a debit initiated elsewhere is foreign. */
  readonly bankCountry: string;
}

export const DEFAULT_DISPUTE_POLICY: DisputePolicy = {
  windowDays: 60,
  provisionalCreditBusinessDays: 10,
  newAccountProvisionalCreditBusinessDays: 20,
  newAccountDays: 30,
  resolutionDays: 45,
  extendedResolutionDays: 90,
  reversalNoticeBusinessDays: 5,
  timeZone: 'America/New_York',
  bankCountry: 'US',
};
