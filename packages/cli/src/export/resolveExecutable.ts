import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { ExecutableLookup } from './exportTypes.js';

/**
 * The PATH a service gets when its environment sets none: the daemon's `DEFAULT_PATH`, which is
 * systemd's default for services (the CLI may not import the daemon, so it is written twice).
 */
export const SERVICE_DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** A regular file with any execute bit. */
function isExecutableFile(path: string): boolean {
  try {
    const st = statSync(path);
    return st.isFile() && (st.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/**
 * The lookup on this machine's files: the daemon's rules (`/` in argv0: relative to cwd; else each
 * non-empty PATH entry in order), without its per-user permission check.
 */
export const findExecutable: ExecutableLookup = (argv0, cwd, pathVar) => {
  if (argv0 === '') return null;
  if (argv0.includes('/')) {
    const candidate = resolve(cwd, argv0);
    return isExecutableFile(candidate) ? candidate : null;
  }
  for (const dir of pathVar.split(':')) {
    if (dir === '') continue; // an empty entry would mean the cwd: the daemon does not search it either
    const candidate = resolve(cwd, dir, argv0);
    if (isExecutableFile(candidate)) return candidate;
  }
  return null;
};

/** The argv with argv[0] made absolute, or null when no executable file was found. */
export function absoluteArgv(
  argv: readonly string[],
  cwd: string,
  env: Readonly<Record<string, string>>,
  lookup: ExecutableLookup,
): string[] | null {
  const [argv0 = '', ...rest] = argv;
  const exe = lookup(argv0, cwd, env.PATH ?? SERVICE_DEFAULT_PATH);
  return exe === null ? null : [exe, ...rest];
}

/**
 * Where an executable that was not found was looked for, as the lookup does: `./api was not found in
 * /srv/app` (a relative path, from `cwd`), `/opt/x was not found here`, `redis-server was not found in
 * PATH here`.
 */
export function notFoundText(argv0: string, cwd: string): string {
  if (!argv0.includes('/')) return `${argv0} was not found in PATH here`;
  return isAbsolute(argv0) ? `${argv0} was not found here` : `${argv0} was not found in ${cwd}`;
}
