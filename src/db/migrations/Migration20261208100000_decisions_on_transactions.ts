import { Migration } from '@mikro-orm/migrations';

/**
 * A movement the risk step let through keeps its decision on its own transaction row (issue 9:
 * the step must stay under 10% of a movement's server time). Measured with pgbench on this
 * machine, 8 clients, one movement row a transaction (README "Risk rules"): the same 700-byte
 * decision costs about 70 µs as a risk_decisions row written by a CTE of the same statement (50
 * µs even with no index and no foreign key: the heap insert and its executor node), 20 µs as a
 * jsonb column of the row the movement writes anyway. An ALLOW names the same command its
 * transaction does: `initiated_by` is the actor whose key it is, `idempotency_key` the key, and
 * `created_at` the unit's clock the decision was made at; ledger_transactions is append-only, as
 * risk_decisions is, so the decision stays a fact.
 *
 * `risk_decision` holds what the transaction row does not: the action (always ALLOW: a REVIEW
 * posts nothing, a DENY refuses), the rule versions that ran, the verdicts, the features and the
 * evaluation errors; null when the movement was not judged (risk off, or work of the bank itself).
 * REVIEW and DENY decisions keep their risk_decisions rows (a review names its decision).
 *
 * `risk_decision_records` is every decision, in the columns of risk_decisions, whichever of the
 * two holds it: what a replay and an auditor read. An ALLOW's id is its transaction's.
 *
 * The movement's journal record leaves the decision out, as it left out the decision's row: the
 * journal records movements, and the record stays the size it was.
 */
export class Migration20261208100000_decisions_on_transactions extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table ledger_transactions add column risk_decision jsonb
      constraint ledger_transactions_risk_decision_allowed check (risk_decision is null or risk_decision ->> 'action' = 'ALLOW');`);
    this.addSql(`
create view risk_decision_records as
select d.id, d.user_id, d.idempotency_key, d.action, d.rule_versions, d.verdicts, d.features, d.evaluation_errors, d.created_at
  from risk_decisions d
union all
select t.id, t.initiated_by, t.idempotency_key, t.risk_decision ->> 'action', t.risk_decision -> 'rule_versions', t.risk_decision -> 'verdicts',
       t.risk_decision -> 'features', t.risk_decision -> 'evaluation_errors', t.created_at
  from ledger_transactions t
 where t.risk_decision is not null;`);
    this.addSql(`
create or replace function tally_journal_movements() returns trigger language plpgsql as $$
declare
  requests jsonb := nullif(current_setting('tally.movement_requests', true), '')::jsonb;
begin
  insert into journal_records (kind, subject, actor_id, request_id, payload)
  select 'MOVEMENT', n.id::text, n.initiated_by::text,
         case when requests ? n.id::text then requests ->> n.id::text else tally_journal_request() end,
         jsonb_build_object(
           'transaction', (to_jsonb(n) - 'risk_decision') || jsonb_build_object('amount_minor', n.amount_minor::text),
           'entries', coalesce((
             select jsonb_agg(jsonb_build_object('id', e.id::text, 'account_id', e.account_id, 'direction', e.direction, 'amount_minor', e.amount_minor::text,
                                                 'currency', e.currency, 'layer', e.layer, 'account_version', e.account_version,
                                                 'balance_after_minor', e.balance_after_minor::text, 'pending_after_minor', e.pending_after_minor::text) order by e.id)
               from entries e where e.transaction_id = n.id), '[]'::jsonb)
         )::text
    from new_rows n;
  return null;
end $$;`);
  }
}
