import type pg from 'pg';

/**
 * Laws of the risk tables, checked in SQL behind the application's back like laws.ts (which they
 * are meant to join once risk decisions are written by movements). Each query lists violations.
 */
const RISK_LAWS: Record<string, string> = {
  "each risk rule's versions are 1..N without gaps": `
    select id from risk_rules group by id having min(version) <> 1 or max(version) <> count(*)`,
  'every rule version a risk decision ran is stored': `
    select d.id, ran.id as rule_id, ran.version from risk_decision_records d
     cross join jsonb_to_recordset(d.rule_versions) as ran (id text, version integer)
      left join risk_rules r on r.id = ran.id and r.version = ran.version
     where r.id is null`,
  "a risk decision's action is its most severe verdict's, ALLOW when it has none": `
    select id from risk_decision_records where action <> coalesce(verdicts -> 0 ->> 'action', 'ALLOW')`,
};

export async function brokenRiskLaws(pool: pg.Pool): Promise<string[]> {
  const broken: string[] = [];
  for (const [law, sql] of Object.entries(RISK_LAWS)) {
    const { rows } = await pool.query(`${sql} limit 5`);
    if (rows.length > 0) broken.push(`${law}: ${JSON.stringify(rows)}`);
  }
  return broken;
}
