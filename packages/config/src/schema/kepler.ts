/** The `kepler:` block: settings for the whole config (environment policy, timeout, logs, global hooks). */
import { globalHooks } from './hooks.js';
import { duration, type ObjectOut, object } from './kit/index.js';
import { logs } from './logs.js';
import { sysEnv } from './processFields.js';

const keplerProps = {
  sys_env: sysEnv,
  timeout: duration({ description: 'Default timeout for dependency waits (default: none).' }),
  logs,
  hooks: globalHooks,
};
export const kepler = object(keplerProps, { description: 'Global settings.' });
/** The `kepler:` block after decoding. */
export type NormalizedKepler = ObjectOut<typeof keplerProps>;
