/**
 * Fields that say how a process runs, shared by services and hooks (and `sys_env` by `kepler`):
 * its command, user and group, working directory, env file and starting environment.
 */
import { GrammarError } from '../grammar.js';
import { splitShellWords } from '../shellWords.js';
import { list, mismatch, oneOf, type Schema, string, withDescription } from './kit/index.js';

/** The accepted values of `sys_env`. */
export const SYS_ENV_POLICIES = ['clear', 'inherit'] as const;

/**
 * An argv: a list, or a string split into words as docker compose splits `command: node server.js`
 * (shell quoting rules, no shell, nothing expanded). A string that cannot be split (an unclosed quote)
 * is reported at its position.
 */
export function argv(description: string): Schema<string[]> {
  const items = list(string(), { minItems: 1 });
  // The list is the canonical form; messages name it (a string is the shorthand).
  const self: Schema<string[]> = {
    expected: items.expected,
    json: () => withDescription({ anyOf: [items.json(), { type: 'string' }] }, { description }),
    decode(node, path, dc) {
      if (node.kind === 'seq' || (node.kind === 'map' && node.emptyLuaTable))
        return items.decode(node, path, dc);
      if (node.kind !== 'scalar' || typeof node.value !== 'string') return mismatch(self, node, path, dc);
      try {
        return splitShellWords(node.value);
      } catch (error) {
        if (!(error instanceof GrammarError)) throw error;
        dc.issues.add(path, `cannot split the string into words: ${error.message}`, node.pos);
        return undefined;
      }
    },
  };
  return self;
}

export const commandList = argv(
  'The program and its arguments: a list (["sh", "-c", "echo hi"]) or a string split into words like a shell does, without one ("node server.js"). Not expanded: use a shell for $VAR.',
);

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
