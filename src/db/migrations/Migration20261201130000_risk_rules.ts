import { Migration } from '@mikro-orm/migrations';

/**
 * Risk rules and decisions (issue 9 §1; DESIGN.md "Risk and disputes"). Rules are data: each
 * save of a rule is a new row (id, version), never an update, so every decision can name the
 * exact versions it ran and a replay finds them. Decisions are stored with the feature values
 * they saw. Both tables are append-only, enforced here like the ledger's.
 *
 * The five built-in rules are seeded as version 1 by the system user. Their text is copied here,
 * not imported from src/ledger/risk/built-in-rules.ts, because a migration is history: a later
 * change of a built-in is a later version (a later migration), never a rewrite of this one. A
 * test compares these rows with built-in-rules.ts, so the two cannot drift apart unnoticed.
 */
const SYSTEM_USER_ID = '00000000-0000-4000-8000-000000000000';

const BUILT_IN_RULES_VERSION_1 = [
  {
    id: "cash-over-10000-per-banking-day",
    name: "Cash over 10,000.00 in one banking day",
    condition: "channel == \"CASH\" && ((kind == \"DEPOSIT\" && cashDepositedToday + amount > 1000000) || (kind == \"WITHDRAWAL\" && cashWithdrawnToday + amount > 1000000))",
    action: "REVIEW",
    reason: "The customer's cash deposits, or cash withdrawals, across their accounts pass 10,000.00 this banking day: a currency transaction report is due (31 CFR 1010.311), and structuring shows up here first.",
    priority: 100,
    currency: "USD",
  },
  {
    id: "wire-over-5000",
    name: "Wire over 5,000.00",
    condition: "channel == \"WIRE\" && amount > 500000",
    action: "REVIEW",
    reason: "A wire over 5,000.00: wires settle at once and cannot be recalled, so a person confirms it first.",
    priority: 200,
    currency: "USD",
  },
  {
    id: "rapid-outgoing-movements",
    name: "More than 5 movements leaving the customer in 10 minutes",
    condition: "leavesCustomer && outgoing.count_10m >= 5",
    action: "REVIEW",
    reason: "A sixth payment or withdrawal to others within 10 minutes: the pattern of a taken-over account being emptied.",
    priority: 300,
    currency: null,
  },
  {
    id: "new-payee-over-1000",
    name: "Transfer over 1,000.00 to a payee never paid before",
    condition: "kind == \"TRANSFER\" && leavesCustomer && !payeeKnown && amount > 100000",
    action: "REVIEW",
    reason: "A first payment of over 1,000.00 to this payee: the shape of authorized push-payment fraud.",
    priority: 400,
    currency: "USD",
  },
  {
    id: "dormant-account-over-500",
    name: "Dormant account moving over 500.00",
    condition: "daysSinceLastActivity >= 180 && kind != \"DEPOSIT\" && amount > 50000",
    action: "REVIEW",
    reason: "An account with no activity for 180 days or more suddenly sends over 500.00 out: a common sign of a taken-over account.",
    priority: 500,
    currency: "USD",
  },
];

const literal = (text: string | null): string => (text === null ? 'null' : `'${text.replaceAll("'", "''")}'`);

export class Migration20261201130000_risk_rules extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create table risk_rules (
  id text not null check (id ~ '^[a-z][a-z0-9-]{0,62}[a-z0-9]$'),
  version integer not null check (version >= 1),
  name text not null check (length(name) between 1 and 100),
  condition text not null check (length(condition) between 1 and 2000),
  action text not null check (action in ('ALLOW', 'REVIEW', 'DENY')),
  reason text not null check (length(reason) between 1 and 500),
  public_message text check (length(public_message) between 1 and 200),
  priority integer not null check (priority between 0 and 10000),
  enabled boolean not null,
  currency char(3) check (currency ~ '^[A-Z]{3}$'),
  created_at timestamptz not null,
  created_by uuid not null references users (id),
  primary key (id, version),
  -- A customer refused is told something, and never the condition that refused them.
  constraint risk_rules_deny_has_public_message check (action <> 'DENY' or public_message is not null)
);`);
    // Versions of a rule are 1..N without gaps: a new row is the next version of its id. Two
    // editors racing on one rule both compute the same next version; the primary key refuses one.
    this.addSql(`
create function tally_risk_rule_next_version() returns trigger language plpgsql as $$
declare
  expected integer;
begin
  select coalesce(max(version), 0) + 1 into expected from risk_rules where id = new.id;
  if new.version <> expected then
    raise exception 'risk rule % must be saved as version %, not %', new.id, expected, new.version using errcode = 'check_violation';
  end if;
  return new;
end $$;`);
    this.addSql(`create trigger risk_rules_next_version before insert on risk_rules for each row execute function tally_risk_rule_next_version();`);

    this.addSql(`
create table risk_decisions (
  id uuid primary key,
  -- The command the decision was made for, by its idempotency key; null for a decision made
  -- outside a command (a replay check, a test of a draft rule).
  user_id uuid references users (id),
  idempotency_key text,
  action text not null check (action in ('ALLOW', 'REVIEW', 'DENY')),
  rule_versions jsonb not null check (jsonb_typeof(rule_versions) = 'array'),
  verdicts jsonb not null check (jsonb_typeof(verdicts) = 'array'),
  features jsonb not null check (jsonb_typeof(features) = 'object'),
  -- What the evaluator said for each rule that failed to run (the REVIEW it caused names the rule).
  evaluation_errors jsonb not null check (jsonb_typeof(evaluation_errors) = 'array'),
  created_at timestamptz not null,
  constraint risk_decisions_command_reference check ((user_id is null) = (idempotency_key is null))
);`);
    this.addSql(`create index risk_decisions_command on risk_decisions (user_id, idempotency_key) where user_id is not null;`);

    for (const table of ['risk_rules', 'risk_decisions']) {
      this.addSql(`create trigger ${table}_append_only before update or delete on ${table}
        for each row execute function tally_forbid_change();`);
      this.addSql(`create trigger ${table}_no_truncate before truncate on ${table}
        for each statement execute function tally_forbid_change();`);
    }

    const seedRows = BUILT_IN_RULES_VERSION_1.map(
      (rule) =>
        `(${literal(rule.id)}, 1, ${literal(rule.name)}, ${literal(rule.condition)}, ${literal(rule.action)}, ${literal(rule.reason)}, null, ${rule.priority}, true, ${literal(rule.currency)}, now(), '${SYSTEM_USER_ID}')`,
    );
    this.addSql(`insert into risk_rules (id, version, name, condition, action, reason, public_message, priority, enabled, currency, created_at, created_by)
      values ${seedRows.join(',\n      ')};`);
  }
}
