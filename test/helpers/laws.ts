import type pg from 'pg';

/**
 * The ledger's laws (DESIGN.md), checked in SQL behind the application's back. Each query lists
 * violations; an empty list means the law holds.
 */
const LAWS: Record<string, string> = {
  'every transaction has two or more entries and debits equal credits': `
    select t.id from ledger_transactions t left join entries e on e.transaction_id = t.id
     group by t.id
    having count(e.id) < 2 or coalesce(sum(case e.direction when 'CREDIT' then e.amount_minor else -e.amount_minor end), 0) <> 0`,
  'every entry has the currency of its transaction and its account': `
    select e.id from entries e join ledger_transactions t on t.id = e.transaction_id join accounts a on a.id = e.account_id
     where e.currency <> t.currency or e.currency <> a.currency or e.amount_minor <> t.amount_minor`,
  'each stored customer balance equals the sum of its entries': `
    select a.id from accounts a left join entries e on e.account_id = a.id
     where a.holder = 'CUSTOMER'
     group by a.id
    having a.posted_minor <> coalesce(sum(case e.direction when 'CREDIT' then e.amount_minor else -e.amount_minor end), 0)`,
  'each customer account history is versions 1..N without gaps, N = its version': `
    select a.id from accounts a left join entries e on e.account_id = a.id
     where a.holder = 'CUSTOMER'
     group by a.id
    having count(e.id) <> a.version or count(distinct e.account_version) <> a.version
        or coalesce(min(e.account_version), 1) <> 1 or coalesce(max(e.account_version), 0) <> a.version`,
  'each history line carries the running balance': `
    select account_id, account_version from (
      select e.account_id, e.account_version, e.balance_after_minor,
             sum(case e.direction when 'CREDIT' then e.amount_minor else -e.amount_minor end)
               over (partition by e.account_id order by e.account_version) as running
        from entries e join accounts a on a.id = e.account_id where a.holder = 'CUSTOMER') lines
     where balance_after_minor <> running`,
  'internal accounts have no versioned entries': `
    select e.id from entries e join accounts a on a.id = e.account_id
     where a.holder = 'INTERNAL' and e.account_version is not null`,
  'the grand total per currency and minor unit is zero': `
    select t.currency, t.currency_exponent from entries e join ledger_transactions t on t.id = e.transaction_id
     group by t.currency, t.currency_exponent
    having sum(case e.direction when 'CREDIT' then e.amount_minor else -e.amount_minor end) <> 0`,
  'every entry counts the minor units of its transaction and its account': `
    select e.id from entries e join ledger_transactions t on t.id = e.transaction_id join accounts a on a.id = e.account_id
     where a.currency_exponent <> t.currency_exponent`,
  'no customer balance is below its overdraft limit': `
    select id from accounts where holder = 'CUSTOMER' and posted_minor - pending_minor < -overdraft_limit_minor`,
  'at most one transaction per (initiator, idempotency key)': `
    select initiated_by, idempotency_key from ledger_transactions group by initiated_by, idempotency_key having count(*) > 1`,
};

/** Returns the laws that are broken, each with a few offending rows; [] when all hold. */
export async function brokenLaws(pool: pg.Pool): Promise<string[]> {
  const broken: string[] = [];
  for (const [law, sql] of Object.entries(LAWS)) {
    const { rows } = await pool.query(`${sql} limit 5`);
    if (rows.length > 0) broken.push(`${law}: ${JSON.stringify(rows)}`);
  }
  return broken;
}
