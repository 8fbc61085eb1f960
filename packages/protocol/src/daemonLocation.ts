import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

/** Where the system daemon keeps its socket, pid file and per-config state. */
export const DEFAULT_STATE_DIR = '/var/lib/kepler';

/** The environment variable that names the daemon's state directory, whoever runs the CLI. */
export const STATE_DIR_ENV = 'KEPLER_DAEMON_PATH';

/** Set to `1` to keep a command from starting a daemon when none runs (see `mayAutoStart`). */
export const NO_AUTOSTART_ENV = 'KEPLER_NO_AUTOSTART';

/** The group whose members use the system daemon (and may open its socket). */
export const KEPLER_GROUP = 'kepler';

/**
 * Which daemon a process talks to: `env` (the one in `$KEPLER_DAEMON_PATH`), `system` (the root daemon
 * in /var/lib/kepler) or `user` (the caller's own daemon, running as the caller).
 */
export type DaemonKind = 'env' | 'system' | 'user';

/** The outcome of the rule (`chooseDaemon`): which daemon, where, and why. */
export interface DaemonLocation {
  readonly kind: DaemonKind;
  /** Absolute state directory (socket, pid file, configs). */
  readonly stateDir: string;
  /** Why this one, for `daemon status` and messages: `KEPLER_DAEMON_PATH is set`. */
  readonly reason: string;
}

/** The facts about the calling process the rule looks at (`currentIdentity` reads them). */
export interface Identity {
  readonly uid: number;
  /** The process's gids: primary and supplementary (what the kernel checks a socket's group against). */
  readonly gids: readonly number[];
  /** gid of the `kepler` group, null when it does not exist. */
  readonly keplerGid: number | null;
  /** Home directory from passwd, used when `$HOME` is unset. */
  readonly home: string;
}

/**
 * THE rule for which daemon a process uses (the CLI to connect and auto-start, the daemon to pick its
 * state directory and its modes): `$KEPLER_DAEMON_PATH` when set and not empty (made absolute); else
 * root and processes carrying the `kepler` group use the system daemon (/var/lib/kepler); everyone
 * else their own daemon in `$XDG_STATE_HOME/kepler` (else `$HOME/.local/state/kepler`; a relative
 * XDG_STATE_HOME is ignored, as the XDG spec says). Pure: it touches no file.
 */
export function chooseDaemon(
  env: Readonly<Record<string, string | undefined>>,
  who: Identity,
): DaemonLocation {
  const fromEnv = env[STATE_DIR_ENV];
  if (fromEnv) return { kind: 'env', stateDir: resolve(fromEnv), reason: `${STATE_DIR_ENV} is set` };
  if (who.uid === 0) return { kind: 'system', stateDir: DEFAULT_STATE_DIR, reason: 'running as root' };
  if (who.keplerGid !== null && who.gids.includes(who.keplerGid)) {
    return { kind: 'system', stateDir: DEFAULT_STATE_DIR, reason: `member of the ${KEPLER_GROUP} group` };
  }
  const xdg = env.XDG_STATE_HOME;
  const stateHome = xdg && isAbsolute(xdg) ? xdg : join(env.HOME || who.home, '.local', 'state');
  return {
    kind: 'user',
    stateDir: resolve(stateHome, 'kepler'),
    reason: `not root and not in the ${KEPLER_GROUP} group`,
  };
}

/**
 * Whether a command that needs a daemon may start this one when none answers: always the caller's own
 * (`user`), the system or `$KEPLER_DAEMON_PATH` daemon only when the caller is root (it runs as root),
 * and never with `KEPLER_NO_AUTOSTART=1`.
 */
export function mayAutoStart(
  location: DaemonLocation,
  env: Readonly<Record<string, string | undefined>>,
  uid: number,
): boolean {
  if (env[NO_AUTOSTART_ENV] === '1') return false;
  return location.kind === 'user' || uid === 0;
}

/** The gid of `name` in /etc/group, or null (groups only other NSS sources know are not seen). */
function etcGroupGid(name: string): number | null {
  let text: string;
  try {
    text = readFileSync('/etc/group', 'utf8');
  } catch {
    return null;
  }
  for (const line of text.split('\n')) {
    const [entry, , gid] = line.split(':');
    if (entry === name && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  return null;
}

/** This process's identity (uid, gids, the `kepler` gid from /etc/group, passwd home). */
export function currentIdentity(): Identity {
  const uid = process.getuid?.() ?? 0;
  const gids = [process.getgid?.() ?? 0, ...(process.getgroups?.() ?? [])];
  let home = '/';
  try {
    home = userInfo().homedir || '/';
  } catch {
    // A uid without a passwd entry: $HOME or `/`.
  }
  return { uid, gids, keplerGid: etcGroupGid(KEPLER_GROUP), home };
}

/** The rule applied to this process: `chooseDaemon(env, currentIdentity())`. */
export function daemonLocation(
  env: Readonly<Record<string, string | undefined>> = process.env,
): DaemonLocation {
  return chooseDaemon(env, currentIdentity());
}
