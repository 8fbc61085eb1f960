import { join, resolve } from 'node:path';

/** Where the daemon keeps its socket, pid file and per-config state unless KEPLER_DAEMON_PATH says otherwise. */
export const DEFAULT_STATE_DIR = '/var/lib/kepler';

/** The environment variable that overrides `DEFAULT_STATE_DIR` (for tests and non-root experiments). */
export const STATE_DIR_ENV = 'KEPLER_DAEMON_PATH';

/**
 * The daemon's state directory: `$KEPLER_DAEMON_PATH` made absolute (a detached daemon changes its
 * working directory, the CLI does not), or `/var/lib/kepler` when unset or empty. Does not touch the
 * file system: whether the directory exists or is safe is the daemon's business.
 */
export function stateDirFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env[STATE_DIR_ENV];
  return fromEnv ? resolve(fromEnv) : DEFAULT_STATE_DIR;
}

/** The daemon's Unix socket in a state directory: `<dir>/kepler.sock`. */
export function socketPath(stateDir: string): string {
  return join(stateDir, 'kepler.sock');
}

/** The daemon's pid file in a state directory: `<dir>/kepler.pid`. */
export function pidPath(stateDir: string): string {
  return join(stateDir, 'kepler.pid');
}

/**
 * The ad-hoc config of `uid` (`kepler run`'s services) in a daemon's state directory. Pass the state
 * directory with its symlinks resolved: the daemon keys configs by canonical path.
 */
export function adhocConfigPath(stateDir: string, uid: number): string {
  return join(stateDir, 'adhoc', `${uid}.yaml`);
}
