import { Migration } from '@mikro-orm/migrations';

/**
 * Until this migration every amount was parsed and formatted with the runtime's ICU digits, which
 * differ from ISO 4217 for some currencies (HUF, IDR, COP, PKR, LBP: ICU 0, ISO 2; IQD: ICU 0,
 * ISO 3). From now on each account stores its minor-unit exponent when it opens (ISO's, from the
 * currency-codes package), and each transaction stores the exponent its amounts are counted in.
 *
 * Existing rows are backfilled with the digits they were opened and moved under, ICU's, NOT ISO's:
 * a HUF balance stored as 10050 minor units meant 10,050 forints, and calling it 100.50 forints
 * would rescale a customer's money. The table below is frozen (Node 20.20, ICU 78.2: every code
 * `Intl` knew whose currency formatting did not use 2 digits), so the migration does the same on
 * any runtime. Internal accounts are kept per currency and exponent from now on, so entries in
 * two units never share one internal account's derived balance.
 */
const LEGACY_ICU_DIGITS: Readonly<Record<string, number>> = {
  AFN: 0, ALL: 0, BHD: 3, BIF: 0, CLP: 0, COP: 0, DJF: 0, GNF: 0, HUF: 0, IDR: 0, IQD: 0, IRR: 0,
  ISK: 0, JOD: 3, JPY: 0, KMF: 0, KPW: 0, KRW: 0, KWD: 3, LAK: 0, LBP: 0, LYD: 3, MGA: 0, MMK: 0,
  OMR: 3, PKR: 0, PYG: 0, RWF: 0, SLL: 0, SOS: 0, SYP: 0, TND: 3, UGX: 0, VND: 0, VUV: 0, XAF: 0,
  XOF: 0, XPF: 0, YER: 0,
};
/** ICU's default for every other code. */
const LEGACY_DEFAULT_DIGITS = 2;

export class Migration20261201000000_currency_exponent extends Migration {
  override async up(): Promise<void> {
    const legacy = Object.entries(LEGACY_ICU_DIGITS).map(([code, digits]) => `('${code}', ${digits})`).join(', ');
    this.addSql(`alter table accounts add column currency_exponent smallint;`);
    this.addSql(`
update accounts a
   set currency_exponent = coalesce((select l.digits from (values ${legacy}) as l (currency, digits) where l.currency = a.currency), ${LEGACY_DEFAULT_DIGITS});`);
    this.addSql(`alter table accounts alter column currency_exponent set not null,
  add constraint accounts_currency_exponent_range check (currency_exponent between 0 and 4);`);
    this.addSql(`alter table accounts drop constraint accounts_internal_code_currency,
  add constraint accounts_internal_code_currency_exponent unique (internal_code, currency, currency_exponent);`);

    // Transactions are append-only (law 1); this one-time backfill of a new column is the only
    // UPDATE ever allowed, with the guard off for the length of this migration's transaction.
    this.addSql(`alter table ledger_transactions add column currency_exponent smallint;`);
    this.addSql(`alter table ledger_transactions disable trigger ledger_transactions_append_only;`);
    this.addSql(`
update ledger_transactions t
   set currency_exponent = (select a.currency_exponent from entries e join accounts a on a.id = e.account_id
                             where e.transaction_id = t.id and a.holder = 'CUSTOMER' limit 1);`);
    this.addSql(`alter table ledger_transactions enable trigger ledger_transactions_append_only;`);
    this.addSql(`alter table ledger_transactions alter column currency_exponent set not null,
  add constraint ledger_transactions_currency_exponent_range check (currency_exponent between 0 and 4);`);

    // Stored outcomes and unpublished balance events carry the exponent too, so a replay or a
    // late delivery formats its amounts as the account does.
    this.addSql(`
update idempotency_records r
   set outcome = jsonb_set(r.outcome, '{balances}', (
         select coalesce(jsonb_agg(b.value || jsonb_build_object('currencyExponent', a.currency_exponent) order by b.ordinality), '[]'::jsonb)
           from jsonb_array_elements(r.outcome -> 'balances') with ordinality as b
           join accounts a on a.id = (b.value ->> 'accountId')::uuid))
 where jsonb_typeof(r.outcome -> 'balances') = 'array';`);
    this.addSql(`
update outbox_events o
   set payload = o.payload || jsonb_build_object('currencyExponent', a.currency_exponent)
  from accounts a
 where a.id = o.account_id and o.published_at is null;`);
  }
}
