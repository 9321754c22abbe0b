import type { Database } from '../persistence/database.js';
import { compileStoredRules, type CompiledRule } from './compile-rule.js';
import { loadCurrentRules } from './rule-store.js';

/**
 * The current rules, compiled, kept per database driver (one process may serve several
 * databases; the tests do) with the number of rule versions saved when they were loaded. Rules
 * are append-only, so the same number means the same rules; a save anywhere raises it and the
 * next unit that reads the new number loads them again, inside its own transaction.
 */
const cachedByDriver = new WeakMap<object, { readonly version: number; readonly rules: readonly CompiledRule[] }>();

export async function currentRules(database: Database, rulesVersion: number | undefined): Promise<readonly CompiledRule[]> {
  const driver = database.getDriver();
  const cached = cachedByDriver.get(driver);
  if (cached && rulesVersion !== undefined && cached.version === rulesVersion) return cached.rules;
  const rules = compileStoredRules(await loadCurrentRules(database));
  // Only a number read in this unit names what was loaded: a unit that read none does not cache.
  if (rulesVersion !== undefined) cachedByDriver.set(driver, { version: rulesVersion, rules });
  return rules;
}
