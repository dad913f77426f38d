import { loadConfig, type Config } from '../config/index.js';
import { PERSONAS } from '../sim/index.js';

/**
 * The configuration as the engine reads it: loadConfig(), with the names the simulated network
 * knows, so that a misspelt persona is reported at its line like any other mistake.
 */
export function readConfig(file: string, env: NodeJS.ProcessEnv = process.env): Config {
  return loadConfig(file, env, undefined, { personas: Object.keys(PERSONAS) });
}
