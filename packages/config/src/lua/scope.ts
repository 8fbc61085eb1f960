/**
 * What `ctx` holds at each point of the Lua stage: the environment staged so far (the CLI's
 * environment, then the env_file, then `environment`), computed from already-evaluated nodes. Problems are not reported
 * here: normalise and bake check the same fields and report them once.
 */
import { expandEnvironment, readEnvFile, resolvePath } from '../environment.js';
import { expandVars, type Lookup } from '../expand.js';
import { splitAssignment } from '../grammar.js';
import type { RawNode } from '../parse.js';

/** The env so far, as Lua sees it. */
export interface Scope {
  readonly env: Readonly<Record<string, string>>;
  readonly envFile: Readonly<Record<string, string>>;
  readonly serviceName: string | null;
  readonly hookName: string | null;
}

export const EMPTY_ENV: Readonly<Record<string, string>> = Object.freeze({});

/** Reads the env_file named by an (evaluated) `env_file` node for `ctx`; problems are left to the bake. */
export function envFileVars(
  node: RawNode | null | undefined,
  lookup: Lookup,
  configDir: string,
  home: string | undefined,
): Record<string, string> {
  if (node?.kind !== 'scalar' || typeof node.value !== 'string') return {};
  try {
    return readEnvFile(resolvePath(configDir, expandVars(node.value, lookup, home)), lookup, home);
  } catch {
    return {};
  }
}

/** Expands an (evaluated) `environment` node for `ctx`; problems are left to normalise and bake. */
export function environmentVars(
  node: RawNode | null | undefined,
  below: Lookup,
  home: string | undefined,
): Record<string, string> {
  const entries: { key: string; value: string }[] = [];
  if (node?.kind === 'seq') {
    for (const item of node.items) {
      if (item.kind !== 'scalar' || typeof item.value !== 'string') continue;
      const set = splitAssignment(item.value);
      if (set !== null && set.key !== '') entries.push(set);
    }
  } else if (node?.kind === 'map') {
    for (const entry of node.entries) {
      const value = entry.value;
      if (value.kind === 'scalar' && value.value !== null)
        entries.push({ key: entry.key, value: value.text ?? String(value.value) });
    }
  }
  return expandEnvironment(entries, below, home, () => {});
}
