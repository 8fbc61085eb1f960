/** Hooks: one shape (`run` or `command`, with their own user, directory and environment), two sets of names. */
import { GLOBAL_HOOK_NAMES, SERVICE_HOOK_NAMES } from '../types.js';
import { environment } from './environment.js';
import { named, type ObjectOut, object, string } from './kit/index.js';
import { argv, envFile, group, user } from './processFields.js';

const hookProps = {
  run: string({ description: 'A shell script, run as `sh -c <run>`. Not expanded.' }),
  command: argv(
    'A command as an argv list, or a string split into words like a shell does, without one. Not expanded.',
  ),
  user,
  group,
  working_dir: string({
    minLength: 1,
    description:
      "Working directory; relative paths resolve against the service's working_dir (or the config directory).",
  }),
  environment,
  env_file: envFile,
};
/** One hook; emitted once in the JSON Schema's `definitions`. */
export const hook = named(
  'hook',
  object(hookProps, { description: 'A hook: exactly one of `run` or `command`.' }),
);
/** A hook after decoding (`run` / `command` not yet baked). */
export type NormalizedHook = ObjectOut<typeof hookProps>;

export const serviceHooks = object(
  Object.fromEntries(SERVICE_HOOK_NAMES.map((name) => [name, hook])) as Record<
    (typeof SERVICE_HOOK_NAMES)[number],
    typeof hook
  >,
  { description: 'Service hooks.' },
);
export const globalHooks = object(
  Object.fromEntries(GLOBAL_HOOK_NAMES.map((name) => [name, hook])) as Record<
    (typeof GLOBAL_HOOK_NAMES)[number],
    typeof hook
  >,
  { description: 'Global hooks, run once per config.' },
);
