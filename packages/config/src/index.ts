export {
  DEFAULT_BACKOFF,
  DEFAULT_HEALTH_INTERVAL_MS,
  DEFAULT_HEALTH_RETRIES,
  DEFAULT_HEALTH_START_PERIOD_MS,
  DEFAULT_HEALTH_TIMEOUT_MS,
  DEFAULT_LOG_SETTINGS,
  DEFAULT_STOP_GRACE_MS,
  DEFAULT_STOP_SIGNAL,
} from './bake/index.js';
export {
  MAX_BAKED_CONFIG_CHARS,
  MAX_CONFIG_FILE_BYTES,
  MAX_ENV_FILE_BYTES,
  MAX_EXPANDED_VALUE_CHARS,
  MAX_EXPANSION_DEPTH,
  MAX_SERVICES_PER_CONFIG,
  MAX_YAML_ALIAS_NODES,
  MAX_YAML_NESTING_DEPTH,
} from './bounds.js';
export { CONFIG_ERROR_CODES, ConfigError, type ConfigErrorCode } from './errors.js';
export { expandVars } from './expand.js';
export {
  type FileVocabularyConfig,
  renderFileVocabulary,
  serviceToFileVocabulary,
  toFileVocabulary,
} from './fileVocabulary.js';
export { bakedConfigHash, canonicalJson, deepFreeze, sha256Hex } from './freeze.js';
export {
  formatBytes,
  formatDuration,
  GrammarError,
  parseDuration,
  parseExitCodeFilter,
  parseSignal,
  parseSize,
  type SignalSpec,
} from './grammar.js';
export { formatIssue } from './issues.js';
export { type LoadConfigOptions, loadConfig } from './loadConfig.js';
export { LUA_DEADLINE_MS } from './lua/LuaEvaluator.js';
export { renderBakedConfig } from './render.js';
export { DEFAULT_CONFIG_NAMES, resolveConfigPath } from './resolveConfigPath.js';
export { KEPLER_JSON_SCHEMA } from './schema/index.js';
export type * from './types.js';
export { DEPENDENCY_CONDITIONS, GLOBAL_HOOK_NAMES, SERVICE_HOOK_NAMES, STARTUP_CONDITIONS } from './types.js';
