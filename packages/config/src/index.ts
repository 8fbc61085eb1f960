export type * from './types.js';
export { DEPENDENCY_CONDITIONS, GLOBAL_HOOK_NAMES, SERVICE_HOOK_NAMES, STARTUP_CONDITIONS } from './types.js';
