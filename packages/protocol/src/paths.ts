import { join } from 'node:path';
import { daemonLocation } from './daemonLocation.js';

export { DEFAULT_STATE_DIR, STATE_DIR_ENV } from './daemonLocation.js';

/**
 * The daemon's state directory for this process: the rule's choice (`daemonLocation`, see
 * daemonLocation.ts), `$KEPLER_DAEMON_PATH` made absolute when set. Does not touch the file system:
 * whether the directory exists or is safe is the daemon's business.
 */
export function stateDirFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return daemonLocation(env).stateDir;
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
