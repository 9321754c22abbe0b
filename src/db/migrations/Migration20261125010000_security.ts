import { Migration } from '@mikro-orm/migrations';

/**
 * Security: refresh-token rotation chains, TOTP two-factor state, and an append-only audit log of
 * security events (logins, refreshes, reuse detections, 2FA changes, operator actions).
 */
export class Migration20261125010000_security extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table refresh_tokens add column replaced_by uuid, add column revoked_reason text;`);
    this.addSql(`create index refresh_tokens_family_id on refresh_tokens (family_id);`);

    // The TOTP secret is stored encrypted (AES-256-GCM); the last accepted time step makes every
    // code single-use (RFC 6238 §5.2).
    this.addSql(`alter table users
      add column totp_secret_encrypted text,
      add column totp_enabled_at timestamptz,
      add column totp_last_time_step bigint;`);

    this.addSql(`
create table audit_events (
  id bigint generated always as identity primary key,
  occurred_at timestamptz not null default now(),
  actor_user_id uuid references users (id),
  action text not null,
  target text,
  outcome text not null check (outcome in ('OK', 'DENIED')),
  request_id text,
  client_ip text,
  details jsonb not null default '{}'::jsonb
);`);
    this.addSql(`create index audit_events_actor on audit_events (actor_user_id, occurred_at);`);
    this.addSql(`create trigger audit_events_append_only before update or delete on audit_events
      for each row execute function tally_forbid_change();`);
    this.addSql(`create trigger audit_events_no_truncate before truncate on audit_events
      for each statement execute function tally_forbid_change();`);
  }
}
