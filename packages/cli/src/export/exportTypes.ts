/**
 * What both exports share: the files and warnings they produce, how a service's argv[0] becomes an
 * absolute path, and which services a command line selects. The mappers themselves live in
 * `systemd/` and `nomad/`, one row per Kepler key.
 */
import type { BakedConfig } from '@kepler/config';
import { CliError } from '../errors.js';

/** A setting an export could not carry over, or carried over only in part. */
export interface ExportWarning {
  /** The service it belongs to, or `kepler` for the config's global settings. */
  readonly service: string;
  /** The key in the config file's words: `healthcheck`, `restart.watch`, `hooks.on_init`. */
  readonly key: string;
  readonly message: string;
}

/** One file an export writes. */
export interface ExportFile {
  /** File name, no directory. */
  readonly name: string;
  readonly content: string;
  /** Permission bits: 0o600 for files that hold the environment (it may hold secrets). */
  readonly mode: number;
}

/**
 * Finds the file `argv0` names the way the daemon would exec it (`/` in it: relative to `cwd`;
 * otherwise the first executable file in `pathVar`), or null. Injected so golden tests do not depend
 * on where this machine keeps python3.
 */
export type ExecutableLookup = (argv0: string, cwd: string, pathVar: string) => string | null;

/** The one line stderr gets for a warning. */
export function formatWarning(warning: ExportWarning): string {
  return `warning: ${warning.service}: ${warning.key}: ${warning.message}`;
}

/**
 * The services named on the command line, in the config's order (all when none is named).
 * @throws CliError UNKNOWN_SERVICE naming every unknown one.
 */
export function selectServices(baked: BakedConfig, names: readonly string[]): string[] {
  if (names.length === 0) return [...baked.serviceOrder];
  const unknown = names.filter((name) => baked.services[name] === undefined);
  if (unknown.length > 0) {
    throw new CliError(
      'UNKNOWN_SERVICE',
      `No service named ${unknown.map((n) => `"${n}"`).join(', ')} in ${baked.sourcePath}`,
    );
  }
  const wanted = new Set(names);
  return baked.serviceOrder.filter((name) => wanted.has(name));
}

/**
 * A name for the exported stack when the user gives none: the config directory's base name, reduced
 * to what both systemd unit names and Nomad job IDs accept (`[a-z0-9_-]`).
 */
export function defaultStackName(baked: BakedConfig): string {
  const base =
    baked.configDir
      .split('/')
      .filter((part) => part !== '')
      .pop() ?? '';
  const clean = base
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return clean === '' ? 'kepler' : clean;
}

/** Whether `name` may name an exported stack (the `--name`/`--job` flags). */
export function isValidStackName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name) && name.length <= 100;
}
