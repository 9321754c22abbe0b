import { ConfigError, readInteger } from './config.js';
import { DEFAULT_DISPUTE_POLICY, type DisputePolicy } from './ledger/disputes/dispute-policy.js';
import { isCountryCode } from './ledger/countries.js';

/**
 * Regulation E's dispute timelines from the environment (README "Fraud review and disputes"),
 * with the regulation's figures as defaults. Kept apart from config.ts so that file only wires it
 * in. The time zone is the bank's (BANK_TIME_ZONE, read with the availability policy).
 */
type Environment = Readonly<Record<string, string | undefined>>;

export function readDisputePolicy(environment: Environment, timeZone: string): DisputePolicy {
  const fallback = DEFAULT_DISPUTE_POLICY;
  const provisionalCreditBusinessDays = readInteger(environment, 'DISPUTE_PROVISIONAL_CREDIT_BUSINESS_DAYS', fallback.provisionalCreditBusinessDays, 1, 60);
  const resolutionDays = readInteger(environment, 'DISPUTE_RESOLUTION_DAYS', fallback.resolutionDays, 1, 365);
  const policy: DisputePolicy = {
    windowDays: readInteger(environment, 'DISPUTE_WINDOW_DAYS', fallback.windowDays, 1, 730),
    provisionalCreditBusinessDays,
    newAccountProvisionalCreditBusinessDays: readInteger(
      environment,
      'DISPUTE_NEW_ACCOUNT_PROVISIONAL_CREDIT_BUSINESS_DAYS',
      fallback.newAccountProvisionalCreditBusinessDays,
      1,
      60,
    ),
    newAccountDays: readInteger(environment, 'DISPUTE_NEW_ACCOUNT_DAYS', fallback.newAccountDays, 0, 365),
    resolutionDays,
    extendedResolutionDays: readInteger(environment, 'DISPUTE_EXTENDED_RESOLUTION_DAYS', fallback.extendedResolutionDays, 1, 365),
    reversalNoticeBusinessDays: readInteger(environment, 'DISPUTE_REVERSAL_NOTICE_BUSINESS_DAYS', fallback.reversalNoticeBusinessDays, 0, 30),
    timeZone,
    bankCountry: environment.BANK_COUNTRY || fallback.bankCountry,
  };
  if (!isCountryCode(policy.bankCountry)) throw new ConfigError('BANK_COUNTRY', `must be an ISO 3166-1 alpha-2 country code in upper case such as "US", got "${policy.bankCountry}"`);
  // A longer timeline for new accounts that is shorter than the ordinary one is a typo.
  if (policy.newAccountProvisionalCreditBusinessDays < provisionalCreditBusinessDays) {
    throw new ConfigError('DISPUTE_NEW_ACCOUNT_PROVISIONAL_CREDIT_BUSINESS_DAYS', `must be at least DISPUTE_PROVISIONAL_CREDIT_BUSINESS_DAYS (${provisionalCreditBusinessDays})`);
  }
  if (policy.extendedResolutionDays < resolutionDays) {
    throw new ConfigError('DISPUTE_EXTENDED_RESOLUTION_DAYS', `must be at least DISPUTE_RESOLUTION_DAYS (${resolutionDays})`);
  }
  return policy;
}
