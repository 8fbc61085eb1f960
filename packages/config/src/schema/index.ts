/**
 * The Kepler config schema, written once as data: `normalizeConfig` decodes with `CONFIG_SCHEMA` and
 * `KEPLER_JSON_SCHEMA` (the editor schema, also written to kepler.schema.json) is generated from it.
 * Shorthand forms are normalised by the sections: `restart: always` -> `{policy}`, a `depends_on` list
 * -> edges, an `environment` map -> entries, `store: false` -> `{stdout, stderr}`.
 */
export { CONFIG_SCHEMA, KEPLER_JSON_SCHEMA, type NormalizedConfig } from './config.js';
export type { NormalizedDependency } from './dependsOn.js';
export type { NormalizedEnvEntry } from './environment.js';
export {
  isHealthcheckNone,
  isOwnPortPath,
  type NormalizedHealthcheck,
  OWN_PORT_TCP,
  parseHostPort,
} from './healthcheck.js';
export type { NormalizedHook } from './hooks.js';
export type { NormalizedKepler } from './kepler.js';
export type { NormalizedLogs, NormalizedStore } from './logs.js';
export { AUTO_PORT, MAX_PORT } from './network.js';
export type { NormalizedBackoff, NormalizedRestart } from './restart.js';
export type { NormalizedService } from './service.js';
export { validateServiceType } from './serviceType.js';
