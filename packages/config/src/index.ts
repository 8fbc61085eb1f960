export type * from './types.js';
export { DEPENDENCY_CONDITIONS, GLOBAL_HOOK_NAMES, SERVICE_HOOK_NAMES, STARTUP_CONDITIONS } from './types.js';
export { bakeConfig, type BakeConfigOptions } from './bakeConfig.js';
export { resolveConfigPath, DEFAULT_CONFIG_NAMES } from './resolveConfigPath.js';
export { ConfigError, CONFIG_ERROR_CODES, type ConfigErrorCode } from './errors.js';
export { formatIssue } from './issues.js';
export { renderBakedConfig, type RenderOptions } from './render.js';
export {
  parseDuration,
  parseSize,
  parseSignal,
  parseExitCodeFilter,
  formatDuration,
  formatBytes,
  GrammarError,
  type SignalSpec,
} from './grammar.js';
export { expandVars } from './expand.js';
export { KEPLER_JSON_SCHEMA } from './schema.js';
export { deepFreeze, canonicalJson, sha256Hex, bakedConfigHash } from './freeze.js';
export { LUA_DEADLINE_MS } from './lua/LuaEvaluator.js';
export {
  DEFAULT_LOG_SETTINGS,
  DEFAULT_BACKOFF,
  DEFAULT_STOP_GRACE_MS,
  DEFAULT_STOP_SIGNAL,
  DEFAULT_HEALTH_INTERVAL_MS,
  DEFAULT_HEALTH_TIMEOUT_MS,
  DEFAULT_HEALTH_RETRIES,
  DEFAULT_HEALTH_START_PERIOD_MS,
} from './bake.js';
