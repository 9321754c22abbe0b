import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError } from '../../src/ledger/errors.js';
import { BUILT_IN_RULES } from '../../src/ledger/risk/built-in-rules.js';
import { compileStoredRules } from '../../src/ledger/risk/compile-rule.js';
import { decideRisk } from '../../src/ledger/risk/decide-risk.js';
import { readRiskDecision, storeRiskDecision } from '../../src/ledger/risk/decision-store.js';
import { replayRiskDecision } from '../../src/ledger/risk/replay-decision.js';
import { disableRiskRule, listRuleHistory, loadCurrentRules, upsertRiskRule } from '../../src/ledger/risk/rule-store.js';
import type { RiskRuleDraft } from '../../src/ledger/risk/rule.js';
import { SYSTEM_USER_ID } from '../../src/ledger/system/system-actor.js';
import { brokenRiskLaws } from '../helpers/risk-laws.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';
import { quietFeatures } from './risk-fixtures.js';

let t: TestApp;
let operator: TestUser;
const database = () => t.app.orm.em.fork();
const NOW = new Date('2026-12-01T15:00:00Z');
const later = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000);

beforeAll(async () => {
  t = await startTestApp();
  operator = await t.user('OPERATOR');
});
afterAll(async () => {
  expect(await brokenRiskLaws(t.database.pool)).toEqual([]);
  await t.close();
});

const draft = (overrides: Partial<RiskRuleDraft> = {}): RiskRuleDraft => ({
  id: 'zelle-over-2500',
  name: 'Zelle over 2,500.00',
  condition: 'channel == "ZELLE" && amount > 250000',
  action: 'REVIEW',
  reason: 'Zelle payments cannot be pulled back.',
  publicMessage: null,
  priority: 250,
  enabled: true,
  currency: 'USD',
  ...overrides,
});

describe('stored risk rules', () => {
  it('the migration seeds the five built-ins as version 1 by the system user, the same as built-in-rules.ts', async () => {
    const current = await loadCurrentRules(database());
    expect(current.map(({ createdAt, createdBy, version, ...rule }) => ({ ...rule, version, createdBy }))).toEqual(
      [...BUILT_IN_RULES].sort((left, right) => left.priority - right.priority).map((rule) => ({ ...rule, version: 1, createdBy: SYSTEM_USER_ID })),
    );
  });

  it('an edit is a new version: history keeps every version, the latest enabled one is current', async () => {
    const first = await upsertRiskRule(database(), draft(), operator.id, NOW);
    const second = await upsertRiskRule(database(), draft({ condition: 'channel == "ZELLE" && amount > 300000' }), operator.id, later(1));
    expect([first, second].map((saved) => (saved as { version: number }).version)).toEqual([1, 2]);

    const current = (await loadCurrentRules(database())).filter((rule) => rule.id === 'zelle-over-2500');
    expect(current.map((rule) => [rule.version, rule.condition])).toEqual([[2, 'channel == "ZELLE" && amount > 300000']]);

    const disabled = await disableRiskRule(database(), 'zelle-over-2500', operator.id, later(2));
    expect(disabled).toMatchObject({ version: 3, enabled: false, condition: 'channel == "ZELLE" && amount > 300000', createdBy: operator.id });
    expect((await loadCurrentRules(database())).some((rule) => rule.id === 'zelle-over-2500')).toBe(false);
    // Disabling a rule that is off makes no new version.
    expect(await disableRiskRule(database(), 'zelle-over-2500', operator.id, later(3))).toMatchObject({ version: 3 });

    await upsertRiskRule(database(), draft({ enabled: true }), operator.id, later(4));
    const history = await listRuleHistory(database(), 'zelle-over-2500');
    expect(history.map((rule) => [rule.version, rule.enabled, rule.condition.endsWith('300000'), rule.createdAt.toISOString()])).toEqual([
      [1, true, false, NOW.toISOString()],
      [2, true, true, later(1).toISOString()],
      [3, false, true, later(2).toISOString()],
      [4, true, false, later(4).toISOString()],
    ]);
    expect((await loadCurrentRules(database())).find((rule) => rule.id === 'zelle-over-2500')?.version).toBe(4);
  });

  it('refuses a rule that does not compile or reads an unknown feature, with the compiler’s message, and stores nothing', async () => {
    const unknown = await upsertRiskRule(database(), draft({ id: 'typo-rule', condition: 'ammount > 1' }), operator.id, NOW);
    expect(unknown).toBeInstanceOf(ValidationError);
    expect(unknown).toMatchObject({ field: 'condition', message: expect.stringContaining('Unknown variable: ammount') });
    const syntax = await upsertRiskRule(database(), draft({ id: 'typo-rule', condition: 'amount >> 1' }), operator.id, NOW);
    expect(syntax).toMatchObject({ field: 'condition' });
    const deny = await upsertRiskRule(database(), draft({ id: 'typo-rule', action: 'DENY' }), operator.id, NOW);
    expect(deny).toMatchObject({ field: 'publicMessage' });
    expect(await listRuleHistory(database(), 'typo-rule')).toEqual([]);
    expect(await disableRiskRule(database(), 'typo-rule', operator.id, NOW)).toBeInstanceOf(NotFoundError);
  });

  it('two operators saving the same rule at once: one gets the next version, the other is refused, no gap', async () => {
    const racing = draft({ id: 'racing-rule' });
    let firstSaved!: () => void;
    let releaseFirst!: () => void;
    const saved = new Promise<void>((resolve) => (firstSaved = resolve));
    const released = new Promise<void>((resolve) => (releaseFirst = resolve));
    const first = t.app.orm.em.fork().transactional(async (em) => {
      const rule = await upsertRiskRule(em, racing, operator.id, NOW);
      firstSaved();
      await released;
      return rule;
    });
    await saved;
    const second = t.app.orm.em.fork().transactional((em) => upsertRiskRule(em, { ...racing, priority: 1 }, operator.id, NOW));
    // Watch the second at once: it is refused the moment the first commits, maybe before `await first` returns.
    const secondRefused = expect(second).rejects.toThrow(/risk_rules_pkey/);
    await new Promise((resolve) => setTimeout(resolve, 100));
    releaseFirst();
    expect(await first).toMatchObject({ version: 1, priority: 250 });
    await secondRefused;
    expect((await listRuleHistory(database(), 'racing-rule')).map((rule) => rule.version)).toEqual([1]);
  });

  it('the database keeps rules and decisions append-only and versions in sequence, whatever the application does', async () => {
    const pool = t.database.pool;
    await expect(pool.query(`update risk_rules set condition = 'true' where id = 'wire-over-5000'`)).rejects.toThrow(/append-only/);
    await expect(pool.query(`delete from risk_rules where id = 'wire-over-5000'`)).rejects.toThrow(/append-only/);
    await expect(
      pool.query(`insert into risk_rules (id, version, name, condition, action, reason, priority, enabled, created_at, created_by)
                  values ('wire-over-5000', 5, 'x', 'true', 'REVIEW', 'x', 1, true, now(), $1)`, [SYSTEM_USER_ID]),
    ).rejects.toThrow(/must be saved as version 2, not 5/);
    await expect(
      pool.query(`insert into risk_rules (id, version, name, condition, action, reason, priority, enabled, created_at, created_by)
                  values ('silent-deny', 1, 'x', 'true', 'DENY', 'x', 1, true, now(), $1)`, [SYSTEM_USER_ID]),
    ).rejects.toThrow(/risk_rules_deny_has_public_message/);
  });
});

describe('stored risk decisions replay to the same action', () => {
  it('a REVIEW of the wire rule is stored with its features and rule versions, and replays the same after the rule is edited', async () => {
    const features = quietFeatures({ channel: 'WIRE', amount: 500_001n, outgoingByChannel: { ...quietFeatures().outgoingByChannel, WIRE: { ...quietFeatures().outgoing, sum_24h: 123_456_789_012_345n } } });
    const decision = decideRisk(compileStoredRules(await loadCurrentRules(database())), features);
    expect(decision.action).toBe('REVIEW');
    const id = randomUUID();
    const command = { userId: operator.id, idempotencyKey: `wire-${id}` };
    await storeRiskDecision(database(), decision, { id, command, now: NOW });

    const stored = await readRiskDecision(database(), id);
    expect(stored).toMatchObject({ action: 'REVIEW', command, ruleVersions: decision.ruleVersions, verdicts: decision.verdicts });
    expect(stored?.features).toEqual(features);
    const { rows } = await t.database.pool.query(`select features ->> 'amount' as amount from risk_decisions where id = $1`, [id]);
    expect(rows[0]?.amount).toBe('500001');
    // Only the channel with a window that is not zero is written; reading put the ten quiet ones back (above).
    const { rows: channels } = await t.database.pool.query<{ channel: string }>(`select jsonb_object_keys(features -> 'outgoingByChannel') as channel from risk_decisions where id = $1`, [id]);
    expect(channels.map((row) => row.channel)).toEqual(['WIRE']);
    const { rows: sizes } = await t.database.pool.query<{ text_bytes: number; compressed: string | null }>(
      `select octet_length(features::text) as text_bytes, pg_column_compression(features) as compressed from risk_decisions where id = $1`,
      [id],
    );
    expect(sizes[0]?.text_bytes).toBeLessThan(1_000);
    expect(sizes[0]?.compressed).toBeNull();
    await expect(t.database.pool.query(`update risk_decisions set action = 'ALLOW' where id = $1`, [id])).rejects.toThrow(/append-only/);

    // Raise the wire threshold: today's rules would let the same wire through, the replay still reviews.
    await upsertRiskRule(database(), { ...BUILT_IN_RULES.find((rule) => rule.id === 'wire-over-5000')!, condition: 'channel == "WIRE" && amount > 1000000' }, operator.id, later(10));
    expect(decideRisk(compileStoredRules(await loadCurrentRules(database())), features).action).toBe('ALLOW');
    const replay = await replayRiskDecision(database(), id);
    expect(replay?.replayed.action).toBe(stored?.action);
    expect(replay?.replayed.verdicts).toEqual(stored?.verdicts);
    expect(replay?.replayed.ruleVersions).toEqual(expect.arrayContaining([{ id: 'wire-over-5000', version: 1 }]));
  });

  it('a REVIEW caused by a rule failing on odd data replays to the same REVIEW and the same failure', async () => {
    await upsertRiskRule(database(), draft({ id: 'average-outgoing', condition: 'amount > 2 * (outgoing.sum_7d / outgoing.count_7d)', currency: null }), operator.id, NOW);
    const odd = quietFeatures({ amount: 12.5 as unknown as bigint });
    const decision = decideRisk(compileStoredRules(await loadCurrentRules(database())), odd);
    expect(decision.action).toBe('REVIEW');
    expect(decision.evaluationErrors.length).toBeGreaterThan(0);
    const id = randomUUID();
    await storeRiskDecision(database(), decision, { id, command: null, now: NOW });
    const replay = await replayRiskDecision(database(), id);
    expect(replay?.stored.command).toBeNull();
    expect(replay?.replayed.action).toBe('REVIEW');
    expect(replay?.stored.evaluationErrors).toEqual(decision.evaluationErrors);
    expect(replay?.replayed.evaluationErrors).toEqual(decision.evaluationErrors);
  });

  it('a decision that is not stored is not found', async () => {
    expect(await replayRiskDecision(database(), randomUUID())).toBeUndefined();
  });
});
