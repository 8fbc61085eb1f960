/**
 * Fields that say how a process runs, shared by services and hooks (and `sys_env` by `kepler`):
 * its command, user and group, working directory, env file and starting environment.
 */
import { list, oneOf, string } from './kit/index.js';

/** The accepted values of `sys_env`. */
export const SYS_ENV_POLICIES = ['clear', 'inherit'] as const;

export const commandList = list(string(), {
  minItems: 1,
  description:
    'The program and its arguments, e.g. ["sh", "-c", "echo hi"]. Not expanded: use a shell for $VAR.',
});

export const user = string({
  coerce: true,
  description: 'User to run as: a name, a uid, or uid:gid. Expanded ($VAR).',
});
export const group = string({
  coerce: true,
  description: 'Primary group override: a name or a gid. Expanded ($VAR).',
});
export const workingDir = string({
  minLength: 1,
  description: 'Working directory, relative to the config directory. Expanded ($VAR, ~).',
});
export const envFile = string({
  minLength: 1,
  description:
    'An env file (docker compose syntax), relative to the config directory. Its path is expanded ($VAR, ~).',
});
export const sysEnv = oneOf(SYS_ENV_POLICIES, {
  description:
    '`clear` (default): start from an empty environment. `inherit`: start from the environment captured from the CLI.',
});
