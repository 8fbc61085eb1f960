/**
 * Building a process environment: env_file reading and the ordered expansion of `environment` entries.
 * Shared by the Lua stage (to give `ctx.env`) and the bake, so both see the same values.
 */
import { isAbsolute, resolve } from 'node:path';
import { EnvFileSyntaxError, parseEnvFile } from './envFileSyntax.js';
import { ExpansionError, expandVars, type Lookup, layeredLookup } from './expand.js';
import { MAX_ENV_FILE_BYTES, readUserFile, UserFileError } from './readUserFile.js';

/** An env_file that cannot be read. The message is user-facing. */
export class EnvFileError extends Error {
  override readonly name = 'EnvFileError';
}

/**
 * Reads an env file (docker compose's syntax, see envFileSyntax.ts) and expands its values as docker
 * compose does: `${VAR}`, `${VAR:-default}` and the rest of the grammar in expand.ts, each value
 * seeing the file's earlier keys first, then `below` (the CLI's environment). `$$` keeps a literal
 * `$`; single-quoted values are not expanded. A bare `KEY` takes `below`'s value (left out without one).
 */
export function readEnvFile(
  absPath: string,
  below: Lookup = () => undefined,
  home?: string,
): Record<string, string> {
  let text: string;
  try {
    text = readUserFile(absPath, MAX_ENV_FILE_BYTES).toString('utf8');
  } catch (error) {
    if (!(error instanceof UserFileError)) throw error;
    throw new EnvFileError(`cannot read env_file ${absPath}: ${error.reason}`);
  }
  let entries: ReturnType<typeof parseEnvFile>;
  try {
    entries = parseEnvFile(text);
  } catch (error) {
    if (!(error instanceof EnvFileSyntaxError)) throw error;
    throw new EnvFileError(`env_file ${absPath}:${error.line}: ${error.message}`);
  }
  const result: Record<string, string> = {};
  const lookup = layeredLookupWith(result, below);
  for (const { key, value, literal, line } of entries) {
    if (value === null) {
      const inherited = below(key);
      if (inherited !== undefined) result[key] = inherited;
      continue;
    }
    try {
      result[key] = literal ? value : expandVars(value, lookup, home);
    } catch (error) {
      if (!(error instanceof ExpansionError)) throw error;
      throw new EnvFileError(`env_file ${absPath}:${line}: ${key}: ${error.message}`);
    }
  }
  return result;
}

/** Resolves a path (already expanded) against `baseDir` unless it is absolute. */
export function resolvePath(baseDir: string, path: string): string {
  return isAbsolute(path) ? resolve(path) : resolve(baseDir, path);
}

/** An entry to expand, with anything the caller needs to report a problem. */
export interface EnvEntryInput {
  readonly key: string;
  readonly value: string;
}

/**
 * Expands `entries` in order: entry N sees entries 0..N-1 first, then `below` (env_file variables, the
 * service's environment for a hook, then the CLI's captured environment, as the caller layers them).
 * Returns the entries' expanded values only. A malformed entry is passed to `onError` and skipped.
 */
export function expandEnvironment<E extends EnvEntryInput>(
  entries: readonly E[],
  below: Lookup,
  home: string | undefined,
  onError: (entry: E, message: string) => void,
): Record<string, string> {
  const result: Record<string, string> = {};
  const lookup = layeredLookupWith(result, below);
  for (const entry of entries) {
    try {
      result[entry.key] = expandVars(entry.value, lookup, home);
    } catch (error) {
      if (!(error instanceof ExpansionError)) throw error;
      onError(entry, error.message);
    }
  }
  return result;
}

function layeredLookupWith(first: Readonly<Record<string, string>>, below: Lookup): Lookup {
  const top = layeredLookup(first);
  return (name) => top(name) ?? below(name);
}
