import type pg from 'pg';
import { SYSTEM_USER_ID } from '../../src/ledger/system/system-actor.js';

/**
 * The ledger's laws (DESIGN.md), checked in SQL behind the application's back. Each query lists
 * violations; an empty list means the law holds.
 */
const SIGNED = `case e.direction when 'CREDIT' then e.amount_minor else -e.amount_minor end`;

const LAWS: Record<string, string> = {
  // A returned check withdrawal (status RETURNED) moved nothing: it is the one transaction without entries.
  'every transaction has two or more entries and, per currency and layer, debits equal credits; a returned item has none': `
    select t.id from ledger_transactions t left join entries e on e.transaction_id = t.id
     group by t.id
    having (t.status = 'RETURNED') <> (count(e.id) = 0) or (t.status <> 'RETURNED' and count(e.id) < 2) or exists (
      select 1 from entries e2 where e2.transaction_id = t.id group by e2.currency, e2.layer
      having sum(case e2.direction when 'CREDIT' then e2.amount_minor else -e2.amount_minor end) <> 0)`,
  'every entry has the currency of its transaction and its account': `
    select e.id from entries e join ledger_transactions t on t.id = e.transaction_id join accounts a on a.id = e.account_id
     where e.currency <> t.currency or e.currency <> a.currency`,
  'each stored customer posted balance equals the sum of its POSTED entries': `
    select a.id from accounts a left join entries e on e.account_id = a.id and e.layer = 'POSTED'
     where a.holder = 'CUSTOMER'
     group by a.id
    having a.posted_minor <> coalesce(sum(${SIGNED}), 0)`,
  'each stored customer pending balance equals minus the sum of its PENDING entries': `
    select a.id from accounts a left join entries e on e.account_id = a.id and e.layer = 'PENDING'
     where a.holder = 'CUSTOMER'
     group by a.id
    having a.pending_minor <> -coalesce(sum(${SIGNED}), 0)`,
  'each customer account history is versions 1..N without gaps, one line per changing transaction, N = its version': `
    select a.id from accounts a left join entries e on e.account_id = a.id
     where a.holder = 'CUSTOMER'
     group by a.id
    having count(e.account_version) <> a.version or count(distinct e.account_version) <> a.version
        or count(distinct e.transaction_id) <> a.version
        or coalesce(min(e.account_version), 1) <> 1 or coalesce(max(e.account_version), 0) <> a.version`,
  // A change may have several entries on one account (a capture releases PENDING and posts
  // POSTED); its one versioned entry carries the balances after all of them.
  'each history line carries the running posted and pending balances of its changes': `
    select account_id, version from (
      select account_id, version, balance_after_minor, pending_after_minor,
             sum(posted_change) over (partition by account_id order by version) as running_posted,
             sum(pending_change) over (partition by account_id order by version) as running_pending
        from (
          select e.account_id, max(e.account_version) as version,
                 max(e.balance_after_minor) as balance_after_minor, max(e.pending_after_minor) as pending_after_minor,
                 sum(case when e.layer = 'POSTED' then ${SIGNED} else 0 end) as posted_change,
                 -sum(case when e.layer = 'PENDING' then ${SIGNED} else 0 end) as pending_change
            from entries e join accounts a on a.id = e.account_id where a.holder = 'CUSTOMER'
           group by e.account_id, e.transaction_id) changes) lines
     where version is null or balance_after_minor <> running_posted or pending_after_minor <> running_pending`,
  'internal accounts have no versioned entries': `
    select e.id from entries e join accounts a on a.id = e.account_id
     where a.holder = 'INTERNAL' and (e.account_version is not null or e.pending_after_minor is not null)`,
  'the grand total per currency, minor unit and layer is zero': `
    select t.currency, t.currency_exponent, e.layer from entries e join ledger_transactions t on t.id = e.transaction_id
     group by t.currency, t.currency_exponent, e.layer
    having sum(${SIGNED}) <> 0`,
  'every entry counts the minor units of its transaction and its account': `
    select e.id from entries e join ledger_transactions t on t.id = e.transaction_id join accounts a on a.id = e.account_id
     where a.currency_exponent <> t.currency_exponent`,
  // No overdraft except through a correction (CORRECTION_KINDS: a reversal, a return): a correction may take
  // available below minus the limit (the account owes the bank); no other change may lower it there.
  'no change but a correction lowers a customer available balance below minus its overdraft limit': `
    select h.account_id, h.account_version from (
      select e.account_id, e.account_version, e.transaction_id, e.balance_after_minor - e.pending_after_minor as available_after,
             lag(e.balance_after_minor - e.pending_after_minor, 1, 0::bigint) over (partition by e.account_id order by e.account_version) as available_before
        from entries e where e.account_version is not null) h
      join accounts a on a.id = h.account_id
      join ledger_transactions t on t.id = h.transaction_id
     where h.available_after < -a.overdraft_limit_minor and h.available_after < h.available_before and t.kind not in ('REVERSAL', 'RETURN')
       and not exists (select 1 from disputes d where d.credit_reversal_transaction_id = t.id)`,
  'a customer account below minus its overdraft limit got there through a correction': `
    select a.id from accounts a
     where a.holder = 'CUSTOMER' and a.posted_minor - a.pending_minor < -a.overdraft_limit_minor
       and not exists (select 1 from entries e join ledger_transactions t on t.id = e.transaction_id where e.account_id = a.id
                        and (t.kind in ('REVERSAL', 'RETURN') or exists (select 1 from disputes d where d.credit_reversal_transaction_id = t.id)))`,
  // A reversal undoes what was posted: a capture's (or an approved review's) release of its hold (its PENDING
  // entries) stays, and any other transaction with PENDING entries is not reversible at all. Returns share the
  // link (a deposit is reversed or returned, once); their own law is below.
  'a transaction is reversed at most once, by a REVERSAL of the exact opposite of its POSTED entries': `
    select r.id from ledger_transactions r join ledger_transactions o on o.id = r.reverses_transaction_id
     where r.kind not in ('REVERSAL', 'RETURN')
        or (r.kind = 'REVERSAL' and o.kind <> 'HOLD_CAPTURE' and not exists (select 1 from reviews v where v.transaction_id = o.id)
            and exists (select 1 from entries where transaction_id = o.id and layer = 'PENDING'))
        or (r.kind = 'REVERSAL' and exists (
       (select account_id, case direction when 'DEBIT' then 'CREDIT' else 'DEBIT' end, amount_minor, layer from entries where transaction_id = o.id and layer = 'POSTED'
        except all select account_id, direction, amount_minor, layer from entries where transaction_id = r.id)
       union all
       (select account_id, direction, amount_minor, layer from entries where transaction_id = r.id
        except all select account_id, case direction when 'DEBIT' then 'CREDIT' else 'DEBIT' end, amount_minor, layer from entries where transaction_id = o.id and layer = 'POSTED')))`,
  // Holds (issue 8 §3): what an account has pending is exactly what its active holds still hold.
  "each customer pending balance equals the sum of its active holds' remaining amounts": `
    select a.id from accounts a left join holds h on h.account_id = a.id and h.status = 'ACTIVE'
     where a.holder = 'CUSTOMER'
     group by a.id
    having a.pending_minor <> coalesce(sum(h.amount_minor - h.captured_minor), 0)`,
  'every hold is authorized by a PENDING-layer transaction of its amount on its account': `
    select h.id from holds h join ledger_transactions t on t.id = h.authorization_transaction_id
     where h.reason <> 'DEPOSIT_AVAILABILITY' and (t.status <> 'PENDING' or t.amount_minor <> h.amount_minor or not exists (
       select 1 from entries e where e.transaction_id = t.id and e.account_id = h.account_id and e.layer = 'PENDING'
          and e.direction = 'DEBIT' and e.amount_minor = h.amount_minor))`,
  // Funds availability (issue 8 §4): a deposit's holds are placed by the deposit itself, and hold
  // exactly what its PENDING pair holds, against FUNDS_AVAILABILITY, never more than it deposited.
  "a deposit's availability holds sum to its PENDING debit of the account, against FUNDS_AVAILABILITY": `
    select t.id from ledger_transactions t
      join (select authorization_transaction_id, account_id, sum(amount_minor) as held from holds
             where reason = 'DEPOSIT_AVAILABILITY' group by authorization_transaction_id, account_id) h on h.authorization_transaction_id = t.id
     where t.kind <> 'DEPOSIT' or h.held > t.amount_minor
        or h.held <> (select coalesce(sum(e.amount_minor), 0) from entries e where e.transaction_id = t.id and e.account_id = h.account_id and e.layer = 'PENDING' and e.direction = 'DEBIT')
        or h.held <> (select coalesce(sum(e.amount_minor), 0) from entries e join accounts a on a.id = e.account_id
                       where e.transaction_id = t.id and e.layer = 'PENDING' and e.direction = 'CREDIT' and a.internal_code = 'FUNDS_AVAILABILITY')`,
  'a deposit with PENDING entries has availability holds': `
    select t.id from ledger_transactions t
     where t.kind = 'DEPOSIT' and exists (select 1 from entries e where e.transaction_id = t.id and e.layer = 'PENDING')
       and not exists (select 1 from holds h where h.authorization_transaction_id = t.id)`,
  // Returns: a RETURN takes back a DEPOSIT, at most once (the shared unique link), debiting exactly
  // the deposit's amount from the account it credited, and releasing exactly what the holds it voided kept.
  'a returned deposit has exactly one RETURN, which debits its amount back and releases the holds it voided': `
    select r.id from ledger_transactions r join ledger_transactions d on d.id = r.reverses_transaction_id
     where r.kind = 'RETURN' and (d.kind <> 'DEPOSIT' or r.amount_minor <> d.amount_minor or r.return_reason is null
        or not exists (select 1 from entries e join entries de on de.transaction_id = d.id and de.account_id = e.account_id and de.layer = 'POSTED' and de.direction = 'CREDIT'
                        where e.transaction_id = r.id and e.layer = 'POSTED' and e.direction = 'DEBIT' and e.amount_minor = d.amount_minor)
        or (select coalesce(sum(e.amount_minor), 0) from entries e join accounts a on a.id = e.account_id
             where e.transaction_id = r.id and e.layer = 'PENDING' and e.direction = 'CREDIT' and a.holder = 'CUSTOMER')
           <> (select coalesce(sum(h.amount_minor - h.captured_minor), 0) from hold_transactions ht join holds h on h.id = ht.hold_id
                where ht.transaction_id = r.id and ht.step = 'RETURN'))`,
  'an availability hold leaves ACTIVE only by a scheduled release, an early release or a return, through one transaction': `
    select h.id from holds h
     where h.reason = 'DEPOSIT_AVAILABILITY' and (
       (h.status = 'ACTIVE') <> not exists (select 1 from hold_transactions ht where ht.hold_id = h.id)
       or h.status = 'CAPTURED' or h.captured_minor <> 0
       or (select count(*) from hold_transactions ht where ht.hold_id = h.id) > 1
       or exists (select 1 from hold_transactions ht where ht.hold_id = h.id and not (
            (ht.step = 'RELEASE' and h.status = 'EXPIRED') or (ht.step in ('VOID', 'RETURN') and h.status = 'VOIDED'))))`,
  'a returned item moved nothing and names the account it was drawn on': `
    select t.id from ledger_transactions t
     where t.status = 'RETURNED' and (t.kind <> 'WITHDRAWAL' or t.returned_account_id is null or t.return_reason is null or t.posted_at is not null)`,
  // Per-hold laws of authorizations; availability holds (several per deposit, released by
  // RELEASE or RETURN steps) have their own laws above.
  // Per hold, not only per account: a pending balance can add up while one hold's money is
  // released twice and another's never.
  "each hold's own PENDING entries on its account net to what it still holds": `
    select h.id from holds h
      join entries e on e.account_id = h.account_id and e.layer = 'PENDING' and h.reason <> 'DEPOSIT_AVAILABILITY'
       and (e.transaction_id = h.authorization_transaction_id
            or e.transaction_id in (select ht.transaction_id from hold_transactions ht where ht.hold_id = h.id))
     group by h.id, h.status, h.amount_minor, h.captured_minor
    having -sum(${SIGNED}) <> case when h.status = 'ACTIVE' then h.amount_minor - h.captured_minor else 0 end`,
  // No capture applied twice, none lost: what the hold says was captured is what its captures posted.
  "each hold's captured amount is what its HOLD_CAPTURE transactions posted from its account": `
    select h.id from holds h
      left join hold_transactions ht on ht.hold_id = h.id and ht.step = 'CAPTURE'
      left join entries e on e.transaction_id = ht.transaction_id and e.account_id = h.account_id and e.layer = 'POSTED'
     group by h.id, h.captured_minor
    having h.captured_minor <> -coalesce(sum(${SIGNED}), 0)`,
  // Exactly one final state: a hold is voided once or expired once (never both, never also
  // captured for good), CAPTURED only after a capture, and each step has the kind that moves it.
  "each hold's steps match its status: one release for VOIDED or EXPIRED, none otherwise, and each step of its kind": `
    select h.id from holds h left join hold_transactions ht on ht.hold_id = h.id left join ledger_transactions t on t.id = ht.transaction_id
     where h.reason <> 'DEPOSIT_AVAILABILITY'
     group by h.id, h.status
    having count(*) filter (where ht.step = 'VOID') <> case when h.status = 'VOIDED' then 1 else 0 end
        or count(*) filter (where ht.step = 'EXPIRE') <> case when h.status = 'EXPIRED' then 1 else 0 end
        or (h.status = 'CAPTURED' and count(*) filter (where ht.step = 'CAPTURE') = 0)
        -- A review's hold is captured by the approved movement itself, of the review's kind.
        or count(*) filter (where (ht.step = 'CAPTURE') <> (t.kind = 'HOLD_CAPTURE' or (h.reason = 'RISK_REVIEW' and t.kind in ('DEPOSIT', 'WITHDRAWAL', 'TRANSFER')))) > 0
        or count(*) filter (where ht.step = 'EXPIRE' and t.initiated_by <> '${SYSTEM_USER_ID}') > 0`,
  // The unit's clock decides (DESIGN.md 5): an owner acts before the deadline, the system at or after it.
  'no hold is captured or voided at or after its expiry, nor expired before it': `
    select h.id, ht.transaction_id from holds h join hold_transactions ht on ht.hold_id = h.id
     where h.expires_at is not null and h.reason <> 'DEPOSIT_AVAILABILITY'
       and ((ht.step in ('CAPTURE', 'VOID') and ht.created_at >= h.expires_at) or (ht.step = 'EXPIRE' and ht.created_at < h.expires_at))`,
  // Risk reviews (issue 9 §1): a review and its hold move together, and the requester's key
  // answers what became of the movement.
  "each review's hold stands as the review does (pending: active; approved: captured; declined: voided; expired: expired)": `
    select r.id from reviews r join holds h on h.id = r.hold_id
     where h.reason <> 'RISK_REVIEW' or h.status <> case r.status when 'PENDING' then 'ACTIVE' when 'APPROVED' then 'CAPTURED' when 'DECLINED' then 'VOIDED' else 'EXPIRED' end`,
  'every RISK_REVIEW hold belongs to exactly one review, and only deposits are reviewed without a hold': `
    select h.id from holds h where h.reason = 'RISK_REVIEW' and (select count(*) from reviews r where r.hold_id = h.id) <> 1
    union all
    select r.id from reviews r where (r.hold_id is null) <> (r.kind = 'DEPOSIT')`,
  "an approved review's transaction is its movement (kind, amount) and captured its hold": `
    select r.id from reviews r join ledger_transactions t on t.id = r.transaction_id
     where t.kind <> r.kind or t.amount_minor <> r.amount_minor or t.status <> 'POSTED'
        or (r.hold_id is not null and not exists (select 1 from hold_transactions ht where ht.hold_id = r.hold_id and ht.transaction_id = t.id and ht.step = 'CAPTURE'))`,
  "the requester's key answers the review's state: in review, the posted movement, or RISK_DECLINED": `
    select r.id from reviews r join idempotency_records i on i.user_id = r.requested_by and i.key = r.idempotency_key
     where case r.status
             when 'PENDING' then i.outcome ->> 'reviewId' is distinct from r.id::text
             when 'APPROVED' then i.outcome ->> 'transactionId' is distinct from r.transaction_id::text
             else i.outcome ->> 'code' is distinct from 'RISK_DECLINED' end
    union all
    select r.id from reviews r where not exists (select 1 from idempotency_records i where i.user_id = r.requested_by and i.key = r.idempotency_key)`,
  // Disputes (issue 9 §2): the money a dispute moved is what its status says, each step an
  // ADJUSTMENT of the disputed amount between its account and DISPUTES, credited at most once.
  "a dispute's money steps match its status: credited once while credited or resolved for the customer, the credit reversed when resolved for the bank": `
    select d.id from disputes d
     where (d.status in ('OPEN', 'INVESTIGATING', 'WITHDRAWN') and (d.credit_transaction_id is not null or d.credit_reversal_transaction_id is not null))
        or (d.status in ('PROVISIONALLY_CREDITED', 'RESOLVED_CUSTOMER') and (d.credit_transaction_id is null or d.credit_reversal_transaction_id is not null))
        or (d.status = 'RESOLVED_BANK' and (d.credit_transaction_id is null) <> (d.credit_reversal_transaction_id is null))
        or (d.status = 'RESOLVED_BANK' and d.credit_reversal_transaction_id is not null and d.reversal_not_before is null)`,
  "a dispute's credit and its reversal are ADJUSTMENTs of the disputed amount between its account and DISPUTES": `
    select d.id from disputes d
      join ledger_transactions t on t.id in (d.credit_transaction_id, d.credit_reversal_transaction_id)
     where t.kind <> 'ADJUSTMENT' or t.amount_minor <> d.amount_minor or t.status <> 'POSTED'
        or (select count(*) from entries e where e.transaction_id = t.id) <> 2
        or not exists (select 1 from entries e where e.transaction_id = t.id and e.account_id = d.account_id and e.layer = 'POSTED' and e.amount_minor = d.amount_minor
                          and e.direction = case when t.id = d.credit_transaction_id then 'CREDIT' else 'DEBIT' end)
        or not exists (select 1 from entries e join accounts a on a.id = e.account_id where e.transaction_id = t.id and a.internal_code = 'DISPUTES'
                          and e.layer = 'POSTED' and e.amount_minor = d.amount_minor and e.direction = case when t.id = d.credit_transaction_id then 'DEBIT' else 'CREDIT' end)`,
  "every ADJUSTMENT is exactly one dispute's credit or its reversal, or one reconciliation break's adjustment": `
    select t.id from ledger_transactions t
     where t.kind = 'ADJUSTMENT'
       and (select count(*) from disputes d where t.id in (d.credit_transaction_id, d.credit_reversal_transaction_id))
         + (select count(*) from reconciliation_breaks b where b.adjustment_transaction_id = t.id) <> 1`,
  // A reconciliation adjustment (issue 10 §1) corrects the bank's view of a rail: it never touches a customer.
  "a reconciliation break's adjustment moves money between its channel's settlement account and SUSPENSE only": `
    select b.id from reconciliation_breaks b
      join reconciliation_runs r on r.id = b.run_id
      join entries e on e.transaction_id = b.adjustment_transaction_id
      join accounts a on a.id = e.account_id
     where a.internal_code is distinct from 'SUSPENSE' and a.internal_code is distinct from case r.channel when 'CASH' then 'CASH_VAULT' else 'SETTLEMENT_' || r.channel end`,
  'a transaction has at most one dispute that is not withdrawn, and a dispute is of a debit of its account for its amount': `
    select d.transaction_id from disputes d
     where d.status <> 'WITHDRAWN'
     group by d.transaction_id having count(*) > 1
    union all
    select d.transaction_id from disputes d join ledger_transactions t on t.id = d.transaction_id
     where t.kind not in ('WITHDRAWAL', 'HOLD_CAPTURE') or t.amount_minor <> d.amount_minor
        or not exists (select 1 from entries e where e.transaction_id = t.id and e.account_id = d.account_id and e.layer = 'POSTED' and e.direction = 'DEBIT')`,
  "a dispute's events are 1..N in time order, opened first, the last one's status its status, money steps naming its transactions": `
    select d.id from disputes d
     where (select count(*) from dispute_events de where de.dispute_id = d.id) <> (select coalesce(max(sequence), 0) from dispute_events de where de.dispute_id = d.id)
        or not exists (select 1 from dispute_events de where de.dispute_id = d.id and de.sequence = 1 and de.step = 'OPENED' and de.status = 'OPEN')
        or (select de.status from dispute_events de where de.dispute_id = d.id order by de.sequence desc limit 1) <> d.status
        or exists (select 1 from dispute_events a join dispute_events b on b.dispute_id = a.dispute_id and b.sequence = a.sequence + 1
                    where a.dispute_id = d.id and b.created_at < a.created_at)
        or (select count(*) from dispute_events de where de.dispute_id = d.id and de.transaction_id is not null)
           <> (case when d.credit_transaction_id is null then 0 else 1 end) + (case when d.credit_reversal_transaction_id is null then 0 else 1 end)
        or exists (select 1 from dispute_events de where de.dispute_id = d.id and de.transaction_id is not null
                      and de.transaction_id not in (d.credit_transaction_id, coalesce(d.credit_reversal_transaction_id, d.credit_transaction_id)))`,
  'at most one transaction per (initiator, idempotency key)': `
    select initiated_by, idempotency_key from ledger_transactions group by initiated_by, idempotency_key having count(*) > 1`,
  // README "Who may do what", as the stored rows show it: money from outside is posted by its rail.
  // (A service's own channels are not checked here: a later revocation would not make history wrong.)
  // A movement held for risk review is judged as what was asked, by whom: its RISK_REVIEW hold's
  // authorization and its approval (posted by the approving operator) count as the requester's
  // movement of the review's kind.
  'customers deposit only checks and debit only their own rails; operators never debit; services never transfer or reverse': `
    select t.id, u.role, t.kind, t.channel from (
      select t.id, t.channel, coalesce(r.kind, t.kind) as kind, coalesce(r.requested_by, t.initiated_by) as asked_by
        from ledger_transactions t
        left join reviews r on r.transaction_id = t.id
                            or r.hold_id = (select h.id from holds h where h.authorization_transaction_id = t.id and h.reason = 'RISK_REVIEW')) t
      join users u on u.id = t.asked_by
     where (u.role = 'CUSTOMER' and t.kind = 'DEPOSIT' and t.channel <> 'CHECK')
        or (u.role = 'CUSTOMER' and t.kind in ('WITHDRAWAL', 'HOLD', 'HOLD_CAPTURE', 'HOLD_RELEASE')
            and t.channel not in ('ACH', 'WIRE', 'ZELLE', 'PAYPAL', 'THIRD_PARTY'))
        or (u.role = 'OPERATOR' and t.kind in ('WITHDRAWAL', 'TRANSFER', 'HOLD', 'HOLD_CAPTURE'))
        or (u.role = 'SERVICE' and t.kind in ('TRANSFER', 'REVERSAL'))`,
};

/** Returns the laws that are broken, each with a few offending rows; [] when all hold. A client inside a transaction sees its own uncommitted changes. */
export async function brokenLaws(pool: pg.Pool | pg.PoolClient): Promise<string[]> {
  const broken: string[] = [];
  for (const [law, sql] of Object.entries(LAWS)) {
    const { rows } = await pool.query(`${sql} limit 5`);
    if (rows.length > 0) broken.push(`${law}: ${JSON.stringify(rows)}`);
  }
  return broken;
}
