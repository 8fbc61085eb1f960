import { realpathSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CliError } from './errors.js';

/** The file names looked for, in order, when no `-f` is given (or `-f` names a directory). */
export const DEFAULT_CONFIG_NAMES = ['kepler.yaml', 'kepler.yml'] as const;

/**
 * The canonical absolute path of the config a command names (symlinks resolved): `file` (from `-f`)
 * resolved against `cwd`, a directory meaning the default names inside it; without `file`,
 * `kepler.yaml` then `kepler.yml` in `cwd`. The same rules as @kepler/config's `resolveConfigPath`
 * (a unit test keeps them equal), without loading that package: commands that only talk to the
 * daemon (`ps`, `stop`, `logs`) would otherwise pay for the YAML parser on every run. It does not
 * read or check the file's content.
 *
 * @throws CliError CONFIG_NOT_FOUND
 */
export function resolveConfigFile(file: string | undefined, cwd: string): string {
  let dir = resolve(cwd);
  if (file !== undefined) {
    const path = resolve(cwd, file);
    let directory: boolean;
    try {
      directory = statSync(path).isDirectory();
    } catch {
      throw new CliError('CONFIG_NOT_FOUND', `config file not found: ${path}`);
    }
    if (!directory) return realpathSync(path);
    dir = path;
  }
  for (const name of DEFAULT_CONFIG_NAMES) {
    const candidate = join(dir, name);
    if (isFile(candidate)) return realpathSync(candidate);
  }
  throw new CliError('CONFIG_NOT_FOUND', `no kepler.yaml or kepler.yml in ${dir} (use -f FILE to name one)`);
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
