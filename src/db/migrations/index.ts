import { Migration20261125000000_ledger } from './Migration20261125000000_ledger.js';
import { Migration20261125010000_security } from './Migration20261125010000_security.js';
import { Migration20261125020000_outbox } from './Migration20261125020000_outbox.js';
import { Migration20261201000000_currency_exponent } from './Migration20261201000000_currency_exponent.js';
import { Migration20261201010000_free_validation_keys } from './Migration20261201010000_free_validation_keys.js';
import { Migration20261201010000_refresh_token_pruning } from './Migration20261201010000_refresh_token_pruning.js';
import { Migration20261201090000_privacy } from './Migration20261201090000_privacy.js';
import { Migration20261201100000_entry_layers } from './Migration20261201100000_entry_layers.js';
import { Migration20261201110000_system_actor } from './Migration20261201110000_system_actor.js';
import { Migration20261201120000_reversals } from './Migration20261201120000_reversals.js';
import { Migration20261201120000_holds } from './Migration20261201120000_holds.js';
import { Migration20261201130000_risk_rules } from './Migration20261201130000_risk_rules.js';
import { Migration20261201130000_availability } from './Migration20261201130000_availability.js';
import { Migration20261201130000_service_role } from './Migration20261201130000_service_role.js';
import { Migration20261201140000_disputes } from './Migration20261201140000_disputes.js';
import { Migration20261201140000_reviews } from './Migration20261201140000_reviews.js';
import { Migration20261202100000_fresh_risk_facts } from './Migration20261202100000_fresh_risk_facts.js';
import { Migration20261202100000_origin_country } from './Migration20261202100000_origin_country.js';
import { Migration20261202110000_reconciliation } from './Migration20261202110000_reconciliation.js';
import { Migration20261202120000_cash_report_index } from './Migration20261202120000_cash_report_index.js';
import { Migration20261202130000_journal } from './Migration20261202130000_journal.js';
import { Migration20261202131000_reconciliation_journal } from './Migration20261202131000_reconciliation_journal.js';

/** Every migration, in order. Listed explicitly so they run the same under tsx, vitest and node. */
export const migrationsList = [
  { name: 'Migration20261125000000_ledger', class: Migration20261125000000_ledger },
  { name: 'Migration20261125010000_security', class: Migration20261125010000_security },
  { name: 'Migration20261125020000_outbox', class: Migration20261125020000_outbox },
  { name: 'Migration20261201000000_currency_exponent', class: Migration20261201000000_currency_exponent },
  { name: 'Migration20261201010000_free_validation_keys', class: Migration20261201010000_free_validation_keys },
  { name: 'Migration20261201010000_refresh_token_pruning', class: Migration20261201010000_refresh_token_pruning },
  { name: 'Migration20261201090000_privacy', class: Migration20261201090000_privacy },
  { name: 'Migration20261201100000_entry_layers', class: Migration20261201100000_entry_layers },
  { name: 'Migration20261201110000_system_actor', class: Migration20261201110000_system_actor },
  { name: 'Migration20261201120000_reversals', class: Migration20261201120000_reversals },
  { name: 'Migration20261201120000_holds', class: Migration20261201120000_holds },
  { name: 'Migration20261201130000_risk_rules', class: Migration20261201130000_risk_rules },
  { name: 'Migration20261201130000_availability', class: Migration20261201130000_availability },
  { name: 'Migration20261201130000_service_role', class: Migration20261201130000_service_role },
  { name: 'Migration20261201140000_disputes', class: Migration20261201140000_disputes },
  { name: 'Migration20261201140000_reviews', class: Migration20261201140000_reviews },
  { name: 'Migration20261202100000_fresh_risk_facts', class: Migration20261202100000_fresh_risk_facts },
  { name: 'Migration20261202100000_origin_country', class: Migration20261202100000_origin_country },
  { name: 'Migration20261202110000_reconciliation', class: Migration20261202110000_reconciliation },
  { name: 'Migration20261202120000_cash_report_index', class: Migration20261202120000_cash_report_index },
  { name: 'Migration20261202130000_journal', class: Migration20261202130000_journal },
  { name: 'Migration20261202131000_reconciliation_journal', class: Migration20261202131000_reconciliation_journal },
];
