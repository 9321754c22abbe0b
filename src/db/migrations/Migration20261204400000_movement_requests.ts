import { Migration } from '@mikro-orm/migrations';

/**
 * A movement's journal record names the request of the movement itself, carried by the statement
 * that wrote it (issue 11 §1): a group-commit unit mixes requests, and its movements are written
 * together by one multi-row statement (ledger/persistence/write-movements.ts). That statement sets
 * `tally.movement_requests`, local to the transaction, to a JSON object of transaction id →
 * request id in one of its CTEs (a movement of no request is left out); the trigger below runs AFTER the whole
 * statement, so it reads the object the statement set. A transaction the object does not name
 * (any other writer, or a later statement of the same transaction) keeps the old rule: the
 * unit's request (`tally.request_id`). The actor stays `initiated_by`, per row as before.
 */
export class Migration20261204400000_movement_requests extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create or replace function tally_journal_movements() returns trigger language plpgsql as $$
declare
  requests jsonb := nullif(current_setting('tally.movement_requests', true), '')::jsonb;
begin
  insert into journal_records (kind, subject, actor_id, request_id, payload)
  select 'MOVEMENT', n.id::text, n.initiated_by::text,
         case when requests ? n.id::text then requests ->> n.id::text else tally_journal_request() end,
         jsonb_build_object(
           'transaction', to_jsonb(n) || jsonb_build_object('amount_minor', n.amount_minor::text),
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
