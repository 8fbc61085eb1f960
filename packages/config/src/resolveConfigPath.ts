import { realpathSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from './errors.js';

/** The file names looked for, in order, when no `-f` is given (or `-f` names a directory). */
export const DEFAULT_CONFIG_NAMES = ['kepler.yaml', 'kepler.yml'] as const;

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Finds the config file and returns its canonical absolute path (symlinks resolved), which is the
 * config's identity. `file` (from `-f`) is resolved against `cwd`; a directory means the default names
 * inside it. Without `file`, `kepler.yaml` then `kepler.yml` in `cwd`. Throws `ConfigError` with code
 * `CONFIG_NOT_FOUND` when nothing is found. It does not read or check the file's content.
 */
export function resolveConfigPath(file: string | undefined, cwd: string): string {
  let candidates: string[];
  let dir: string;
  if (file !== undefined) {
    const path = resolve(cwd, file);
    let directory = false;
    try {
      directory = statSync(path).isDirectory();
    } catch {
      throw notFound(path, `config file not found: ${path}`);
    }
    if (!directory) return realpathSync(path);
    dir = path;
    candidates = DEFAULT_CONFIG_NAMES.map((name) => join(path, name));
  } else {
    dir = resolve(cwd);
    candidates = DEFAULT_CONFIG_NAMES.map((name) => join(dir, name));
  }
  const found = candidates.find(isFile);
  if (found) return realpathSync(found);
  return notFoundThrow(dir);
}

function notFoundThrow(dir: string): never {
  throw notFound(
    join(dir, DEFAULT_CONFIG_NAMES[0]),
    `no kepler.yaml or kepler.yml in ${dir} (use -f FILE to name one)`,
  );
}

function notFound(file: string, message: string): ConfigError {
  return new ConfigError('CONFIG_NOT_FOUND', [{ file, path: '', message }], message);
}
