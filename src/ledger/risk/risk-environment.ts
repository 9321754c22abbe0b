import { Environment } from '@marcbachmann/cel-js';
import { CHANNELS } from '../types.js';
import { FEATURES, WINDOW_FIELDS, WINDOWS_BY_CHANNEL_TYPE, WINDOWS_TYPE } from './features.js';
import { RISK_CONDITION_LIMITS } from './risk-limits.js';

/**
 * The one CEL environment every risk rule compiles in: the features of features.ts as declared,
 * typed variables, and nothing else. Undeclared names are compile errors (not `dyn`), so a rule
 * that reads a feature we do not load is refused when it is saved, not discovered at run time.
 * Built once per process; compiled programs keep a reference to it.
 */
function buildRiskEnvironment(): Environment {
  const environment = new Environment({ unlistedVariablesAreDyn: false, limits: RISK_CONDITION_LIMITS });
  const windowFields = Object.fromEntries(Object.entries(WINDOW_FIELDS).map(([field, declaration]) => [field, declaration.type]));
  environment.registerType(WINDOWS_TYPE, { fields: windowFields });
  environment.registerType(WINDOWS_BY_CHANNEL_TYPE, { fields: Object.fromEntries(CHANNELS.map((channel) => [channel, WINDOWS_TYPE])) });
  for (const [name, declaration] of Object.entries(FEATURES)) {
    environment.registerVariable(name, declaration.type, { description: declaration.description });
  }
  return environment;
}

export const RISK_ENVIRONMENT: Environment = buildRiskEnvironment();
