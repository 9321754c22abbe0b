import { Migration } from '@mikro-orm/migrations';

/**
 * The journal sealer's watermark (issue 10 §3; src/journal/sealer-watermark.ts): one row, written
 * only by the sealer while it holds its advisory lock, saying which committed records are already
 * in the chain as a PostgreSQL snapshot (`pg_snapshot`): every record of a transaction that
 * snapshot saw is sealed. So the sealer and the backlog (journalStatus, the lag gauge) read only
 * the records of transactions it did not see, by index, instead of anti-joining the whole journal
 * against the chain. No writer reads or locks it.
 *
 * When one batch cannot take every record that became visible between the watermark and the
 * sealer's snapshot, `sealing_to` keeps that snapshot and `sealed_through_id` the last id sealed
 * (records go in id order), so the next batches go on from there without rescanning.
 *
 * It starts at "saw nothing" ('1:1:', before any transaction id): the first round after this
 * migration reads the whole journal once, and leaves out by the chain's record-id key what an
 * earlier sealer already chained.
 *
 * And `tally_journal_chain(record_ids, block_size)`: the chain's arithmetic (src/journal/chain-hash.ts)
 * done where the records are, so a round ships ids, not payloads, to the sealer and back, and
 * hashes in C (sha256) rather than on the server's event loop: measured here, 5,000 records in
 * about 0.1 s of PostgreSQL time against 0.3 s of Node's for the hashing alone. The verifier
 * stays in TypeScript: two implementations of one chain, each checking the other at every replay.
 */
export class Migration20261203100000_journal_watermark extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create table journal_sealer_state (
  singleton boolean primary key default true check (singleton),
  sealed_through pg_snapshot not null,
  sealing_to pg_snapshot,
  sealed_through_id bigint,
  updated_at timestamptz not null default now(),
  check ((sealing_to is null) = (sealed_through_id is null))
);`);
    this.addSql(`insert into journal_sealer_state (sealed_through) values ('1:1:');`);
    // It moves forward in place; it is never removed (the sealer would then start from scratch, which is safe but slow).
    this.addSql(`create trigger journal_sealer_state_no_delete before delete on journal_sealer_state for each row execute function tally_forbid_change();`);
    this.addSql(`create trigger journal_sealer_state_no_truncate before truncate on journal_sealer_state for each statement execute function tally_forbid_change();`);
    this.createChainFunction();
  }

  /**
   * Chains the given records after the head, in the order given, with a block header every
   * `block_size` positions; returns how many it chained. Only the sealer calls it, holding its
   * advisory lock, so the head it reads cannot move under it. The canonical record is the JSON
   * array JSON.stringify writes (canonicalRecord): `to_json` escapes a string as it does (quote,
   * backslash, \b \f \n \r \t, other controls as \u00xx, the rest as is), and null is `null`.
   */
  private createChainFunction(): void {
    this.addSql(`
create function tally_journal_chain(record_ids bigint[], block_size int) returns int language plpgsql as $$
declare
  genesis constant bytea := decode(repeat('0', 64), 'hex');
  head_position bigint;
  head_hash bytea;
  block_hash bytea;
  positions bigint[] := '{}';
  ids bigint[] := '{}';
  hashes text[] := '{}';
  record_row record;
begin
  select c.position, decode(c.hash, 'hex') into head_position, head_hash from journal_chain c order by c.position desc limit 1;
  head_position := coalesce(head_position, 0);
  head_hash := coalesce(head_hash, genesis);
  select decode(b.hash, 'hex') into block_hash from journal_blocks b order by b.number desc limit 1;
  block_hash := coalesce(block_hash, genesis);
  for record_row in
    select r.id, convert_to('[' || to_json(r.id::text)::text || ',' || to_json(to_char(r.recorded_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))::text
             || ',' || to_json(r.kind)::text || ',' || to_json(r.subject)::text || ',' || coalesce(to_json(r.actor_id)::text, 'null')
             || ',' || coalesce(to_json(r.request_id)::text, 'null') || ',' || to_json(r.payload)::text || ']', 'UTF8') as canonical
      from unnest(record_ids) with ordinality as given (id, n) join journal_records r on r.id = given.id
     order by given.n
  loop
    head_position := head_position + 1;
    head_hash := sha256(head_hash || int8send(head_position) || record_row.canonical);
    positions := positions || head_position;
    ids := ids || record_row.id;
    hashes := hashes || encode(head_hash, 'hex');
    if head_position % block_size = 0 then
      insert into journal_blocks (number, first_position, last_position, head_hash, previous_block_hash, hash)
      values (head_position / block_size, head_position - block_size + 1, head_position, encode(head_hash, 'hex'), encode(block_hash, 'hex'),
              encode(sha256(block_hash || int8send(head_position / block_size) || int8send(head_position - block_size + 1) || int8send(head_position) || head_hash), 'hex'))
      returning decode(hash, 'hex') into block_hash;
    end if;
  end loop;
  insert into journal_chain (position, record_id, hash) select * from unnest(positions, ids, hashes);
  return cardinality(ids);
end $$;`);
  }
}
