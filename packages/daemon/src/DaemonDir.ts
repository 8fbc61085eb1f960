import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  rmdirSync,
  unlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import { StartupError } from './errors.js';
import { groupIdByName } from './platform/index.js';

/** Name of the group whose members may use the socket. */
export const KEPLER_GROUP = 'kepler';
export const STATE_DIR_MODE = 0o770;
export const SOCKET_MODE_GROUP = 0o660;
export const SOCKET_MODE_ROOT_ONLY = 0o600;
/**
 * Age past which a start lock was left by a daemon killed while starting: claiming the directory (its
 * checks, the socket, the pid file) takes milliseconds.
 */
export const START_LOCK_STALE_MS = 30_000;
/** A per-user daemon's state directory and socket: its user's alone. */
export const STATE_DIR_MODE_PERSONAL = 0o700;
export const SOCKET_MODE_PERSONAL = 0o600;

/** gid of the `kepler` group, or null when the group does not exist. */
export function keplerGid(): number | null {
  return groupIdByName(KEPLER_GROUP);
}

/** Paths inside the daemon's state directory (`/var/lib/kepler` or `$KEPLER_DAEMON_PATH`). */
export class DaemonDir {
  constructor(readonly root: string) {}
  get socket(): string {
    return join(this.root, 'kepler.sock');
  }
  get pidFile(): string {
    return join(this.root, 'kepler.pid');
  }
  get configsDir(): string {
    return join(this.root, 'configs');
  }
  /** State directory of one config: `configs/<sha256 hex of the canonical path>`. */
  configDir(canonicalPath: string): string {
    return join(this.configsDir, createHash('sha256').update(canonicalPath).digest('hex'));
  }

  /**
   * Creates the directory tree with its modes: 0770 root:`gid` for the root daemon, 0700 owned by
   * the daemon's user for a per-user daemon (`personal`). Refuses a symlinked state directory or
   * socket path: following one would let whoever planted it redirect root's writes.
   */
  prepare(gid: number | null, personal = false): void {
    const mode = personal ? STATE_DIR_MODE_PERSONAL : STATE_DIR_MODE;
    for (const [dir, what] of [
      [this.root, 'state directory'],
      [this.configsDir, 'configs directory'],
    ] as const) {
      refuseSymlink(dir, what);
      mkdirSync(dir, { recursive: true, mode });
      chmodSync(dir, mode);
      if (!personal) chownSync(dir, 0, gid ?? 0);
    }
    refuseSymlink(this.socket, 'socket path');
    refuseSymlink(this.pidFile, 'pid file');
  }

  /** Held while a daemon claims the directory (see lockStart). */
  get startLock(): string {
    return join(this.root, 'kepler.starting');
  }

  /**
   * Takes the start lock (a directory: mkdir is atomic) and returns its release. Two daemons started
   * at once (two commands auto-starting one) would otherwise both find no live daemon, and the second
   * would remove the first's socket and listen in its place, leaving the first running unreachable.
   * A lock older than START_LOCK_STALE_MS is taken over once.
   *
   * @throws StartupError when another daemon is starting here
   */
  lockStart(): () => void {
    for (let attempt = 0; ; attempt++) {
      try {
        mkdirSync(this.startLock, { mode: 0o700 });
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0 || !this.staleStartLock()) {
          throw new StartupError(`another Kepler daemon is starting on ${this.root}`);
        }
        try {
          rmdirSync(this.startLock);
        } catch {
          // Gone meanwhile, or not a directory: the next mkdir says.
        }
      }
    }
    return () => {
      try {
        rmdirSync(this.startLock);
      } catch {
        // Already gone.
      }
    };
  }

  private staleStartLock(): boolean {
    try {
      return Date.now() - lstatSync(this.startLock).mtimeMs > START_LOCK_STALE_MS;
    } catch {
      return true;
    }
  }

  /** The pid recorded in kepler.pid when that process is still alive, else null. */
  livePid(): number | null {
    let pid: number;
    try {
      pid = Number.parseInt(readFileSync(this.pidFile, 'utf8').trim(), 10);
    } catch {
      return null;
    }
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return null;
    try {
      process.kill(pid, 0);
    } catch {
      return null;
    }
    // A recycled pid belongs to something else: only a node process counts as a live daemon.
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!/node|kepler/.test(cmd)) return null;
    } catch {
      return null;
    }
    return pid;
  }

  removeStale(): void {
    for (const p of [this.socket, this.pidFile]) {
      if (existsSync(p)) unlinkSync(p);
    }
  }
}

function refuseSymlink(path: string, what: string): void {
  try {
    if (lstatSync(path).isSymbolicLink()) {
      throw new StartupError(`refusing to use ${what} ${path}: it is a symbolic link`);
    }
  } catch (err) {
    if (err instanceof StartupError) throw err;
    // ENOENT: it will be created.
  }
}
