import { type ChildProcess, spawn } from 'node:child_process';
import {
  closeSync,
  constants,
  lstatSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { CliError, codeOf, EXIT_FAILURE } from '../errors.js';
import type { DaemonCommandLine } from './locate.js';
import { DAEMON_POLL_INTERVAL_MS, probeDaemon, type RunningDaemon } from './ping.js';

/** How long `daemon start -d` waits for the new daemon to answer on its socket. */
export const DAEMON_START_TIMEOUT_MS = 10_000;
/** Lines of the daemon's log shown when a detached start fails. */
export const LOG_TAIL_LINES = 20;

/** Where a detached daemon's early output goes before (and besides) its own log file. */
interface StartupLog {
  readonly fd: number;
  readonly path: string;
  /** Size of the file before this start: only what comes after is shown on failure. */
  readonly offset: number;
  /** Removed after a successful start (a temporary file used when the state dir does not exist yet). */
  readonly temporary: boolean;
}

function openStartupLog(stateDir: string, logFile: string): StartupLog {
  let stateDirExists = false;
  try {
    const st = lstatSync(stateDir);
    stateDirExists = st.isDirectory() && !st.isSymbolicLink();
  } catch {
    stateDirExists = false;
  }
  // The daemon creates the state directory with its modes and group; until it exists the CLI must not
  // create it, so early output goes to a private temporary file instead.
  const path = stateDirExists
    ? logFile
    : join(mkdtempSync(join(tmpdir(), 'kepler-daemon-start-')), 'startup.log');
  // O_NOFOLLOW: the state directory is group-writable; root must not append through a planted symlink.
  const fd = openSync(
    path,
    constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW,
    0o640,
  );
  return { fd, path, offset: stateDirExists ? fileSize(path) : 0, temporary: !stateDirExists };
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** The last `n` lines of `path` written after byte `offset` (empty when the file cannot be read). */
export function tailFile(path: string, n: number, offset = 0): string[] {
  try {
    const data = readFileSync(path);
    const text = data.subarray(Math.min(offset, data.length)).toString('utf8');
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return lines.slice(-n);
  } catch {
    return [];
  }
}

/**
 * Starts the daemon detached (new session; stdout/stderr appended to `<stateDir>/daemon.log`, which is
 * also passed as `--log-file`), then polls the socket until it answers. Resolves with the pid of the
 * daemon that answers and the pid of the process this call spawned (they differ when another start won).
 *
 * @throws CliError DAEMON_START_FAILED when the process exits first or does not answer in time; the
 * message carries the reason and the log's last lines.
 */
export async function startDaemonDetached(options: {
  readonly daemon: DaemonCommandLine;
  readonly stateDir: string;
  readonly socket: string;
  readonly timeoutMs?: number;
  /** More arguments for the daemon (`--http ADDR`). */
  readonly args?: readonly string[];
}): Promise<RunningDaemon & { readonly spawnedPid: number | undefined }> {
  const logFile = join(options.stateDir, 'daemon.log');
  const log = openStartupLog(options.stateDir, logFile);
  let child: ChildProcess;
  try {
    child = spawn(
      options.daemon.command,
      [...options.daemon.args, '--log-file', logFile, ...(options.args ?? [])],
      {
        stdio: ['ignore', log.fd, log.fd],
        detached: true,
        env: process.env,
      },
    );
  } finally {
    closeSync(log.fd);
  }
  let exited: string | null = null;
  let spawnError: Error | null = null;
  child.once('error', (error) => {
    spawnError = error;
  });
  child.once('exit', (code, signal) => {
    exited = signal === null ? `exited with code ${code}` : `was killed by ${signal}`;
  });
  child.unref();

  const removeTemporaryLog = () => {
    if (log.temporary) rmSync(dirname(log.path), { recursive: true, force: true });
  };
  const fail = (reason: string, keepLog: boolean): never => {
    const lines = [
      ...(log.temporary ? tailFile(log.path, LOG_TAIL_LINES) : []),
      ...tailFile(logFile, LOG_TAIL_LINES, log.temporary ? 0 : log.offset),
    ].slice(-LOG_TAIL_LINES);
    // Name a file only if it will still exist: the temporary one goes unless the daemon may still run.
    const where = !log.temporary ? ` (${logFile})` : keepLog ? ` (${log.path})` : '';
    if (!keepLog) removeTemporaryLog();
    const shown =
      lines.length > 0
        ? `\nLast lines of the daemon's output${where}:\n${lines.map((l) => `  ${l}`).join('\n')}`
        : '';
    throw new CliError(
      'DAEMON_START_FAILED',
      `Kepler daemon failed to start: ${reason}${shown}`,
      EXIT_FAILURE,
    );
  };

  const deadline = Date.now() + (options.timeoutMs ?? DAEMON_START_TIMEOUT_MS);
  for (;;) {
    if (spawnError !== null)
      fail(`cannot run ${options.daemon.command}: ${(spawnError as Error).message}`, false);
    let running: RunningDaemon | null = null;
    try {
      running = await probeDaemon(options.socket);
    } catch (error) {
      if (codeOf(error) !== 'PERMISSION_DENIED') throw error;
      // The socket may exist a moment before its group and mode are set: keep polling.
    }
    if (running !== null) {
      removeTemporaryLog();
      // Not necessarily this child: another start may have won the state directory.
      return { ...running, spawnedPid: child.pid };
    }
    if (exited !== null) fail(`the process ${exited}`, false);
    if (Date.now() > deadline) {
      fail(
        `no answer on ${options.socket} within ${(options.timeoutMs ?? DAEMON_START_TIMEOUT_MS) / 1000}s (pid ${child.pid} may still be starting)`,
        true,
      );
    }
    await delay(DAEMON_POLL_INTERVAL_MS);
  }
}
