import { type ChildProcess, spawn } from 'node:child_process';
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  lstatSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { DaemonClient } from '@kepler/protocol';
import { CliError, EXIT_FAILURE } from './errors.js';
import { CLI_VERSION } from './version.js';

/** How long `daemon start -d` waits for the new daemon to answer on its socket. */
export const DAEMON_START_TIMEOUT_MS = 10_000;
/** How long `daemon stop` waits for the daemon to exit; generous, services get their stop grace periods. */
export const DAEMON_STOP_TIMEOUT_MS = 300_000;
/** Interval between probes of the socket or pid while waiting. */
export const DAEMON_POLL_INTERVAL_MS = 50;
/** Lines of the daemon's log shown when a detached start fails. */
export const LOG_TAIL_LINES = 20;

/** The command line that runs the daemon. */
export interface DaemonCommandLine {
  readonly command: string;
  readonly args: readonly string[];
  /** Where it was found, for messages. */
  readonly origin: 'KEPLER_DAEMON_BIN' | 'workspace' | 'PATH';
}

/**
 * Node flags for a daemon run by this Node. A 1 MiB young generation (default 16) keeps a daemon
 * supervising 100 services at ~68 MB RSS instead of ~87: its allocations are small and short-lived.
 */
export const DAEMON_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];

/**
 * Finds the daemon: `$KEPLER_DAEMON_BIN` (a `.js`/`.mjs` file runs with this Node, anything else is
 * executed), else `../../daemon/dist/main.js` relative to this file (the checkout and a workspace
 * install), else `kepler-daemon` on PATH. It does not check that the file is a working daemon.
 *
 * @throws CliError DAEMON_BINARY_NOT_FOUND
 */
export function locateDaemon(
  env: Readonly<Record<string, string | undefined>>,
  baseUrl: string = import.meta.url,
): DaemonCommandLine {
  const fromEnv = env.KEPLER_DAEMON_BIN;
  if (fromEnv) {
    if (!existsSync(fromEnv)) {
      throw new CliError(
        'DAEMON_BINARY_NOT_FOUND',
        `KEPLER_DAEMON_BIN points to ${fromEnv}, which does not exist`,
      );
    }
    return /\.[cm]?js$/.test(fromEnv)
      ? { command: process.execPath, args: [...DAEMON_NODE_FLAGS, fromEnv], origin: 'KEPLER_DAEMON_BIN' }
      : { command: fromEnv, args: [], origin: 'KEPLER_DAEMON_BIN' };
  }
  const sibling = fileURLToPath(new URL('../../daemon/dist/main.js', baseUrl));
  if (existsSync(sibling)) {
    return { command: process.execPath, args: [...DAEMON_NODE_FLAGS, sibling], origin: 'workspace' };
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'kepler-daemon');
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return { command: candidate, args: [], origin: 'PATH' };
    } catch {
      // Not here; keep looking.
    }
  }
  throw new CliError(
    'DAEMON_BINARY_NOT_FOUND',
    `Cannot find the Kepler daemon (looked for ${sibling} and kepler-daemon on PATH): build it with \`pnpm build\` or set KEPLER_DAEMON_BIN`,
  );
}

/** @throws CliError NOT_ROOT unless the CLI runs as root (the daemon checks too, this fails earlier). */
export function requireRoot(hint: string): void {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new CliError('NOT_ROOT', `The Kepler daemon must run as root: ${hint}`);
  }
}

/** A daemon that answered a probe. */
export interface RunningDaemon {
  readonly pid: number;
  readonly version: string;
}

/**
 * Asks the socket whether a daemon answers: its pid and version, or null when none listens.
 * Other failures (permission, another protocol) are thrown: they mean something is there.
 */
export async function probeDaemon(socket: string): Promise<RunningDaemon | null> {
  let client: DaemonClient;
  try {
    client = await DaemonClient.connect(socket, { client: `kepler-cli/${CLI_VERSION}` });
  } catch (error) {
    if (codeOf(error) === 'DAEMON_NOT_RUNNING') return null;
    throw error;
  }
  client.close();
  return { pid: client.daemon.pid, version: client.daemon.version };
}

/** The `code` of an error-like value, or undefined. */
export function codeOf(error: unknown): string | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Runs the daemon in the foreground until it exits, with stdout/stderr inherited, and resolves with its
 * exit code (128 + signal number when a signal ended it). SIGINT, SIGTERM and SIGHUP received by the CLI
 * are forwarded. The daemon runs in its own process group so a terminal's Ctrl+C reaches it once (through
 * the CLI), not twice.
 */
export function runDaemonForeground(daemon: DaemonCommandLine, args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(daemon.command, [...daemon.args, ...args], {
      stdio: ['ignore', 'inherit', 'inherit'],
      detached: true,
      env: process.env,
    });
    const forwarded = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
    const forward = (signal: NodeJS.Signals) => {
      child.kill(signal);
    };
    for (const s of forwarded) process.on(s, forward);
    const cleanup = () => {
      for (const s of forwarded) process.off(s, forward);
    };
    child.once('error', (error) => {
      cleanup();
      reject(
        new CliError(
          'DAEMON_START_FAILED',
          `Cannot run the Kepler daemon (${daemon.command}): ${error.message}`,
        ),
      );
    });
    child.once('exit', (code, signal) => {
      cleanup();
      resolve(code ?? 128 + signalNumber(signal));
    });
  });
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal === null ? 0 : (osConstants.signals[signal] ?? 0);
}

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
 * also passed as `--log-file`), then polls the socket until it answers. Resolves with the daemon's pid.
 *
 * @throws CliError DAEMON_START_FAILED when the process exits first or does not answer in time; the
 * message carries the reason and the log's last lines.
 */
export async function startDaemonDetached(options: {
  readonly daemon: DaemonCommandLine;
  readonly stateDir: string;
  readonly socket: string;
  readonly timeoutMs?: number;
}): Promise<RunningDaemon> {
  const logFile = join(options.stateDir, 'daemon.log');
  const log = openStartupLog(options.stateDir, logFile);
  let child: ChildProcess;
  try {
    child = spawn(options.daemon.command, [...options.daemon.args, '--log-file', logFile], {
      stdio: ['ignore', log.fd, log.fd],
      detached: true,
      env: process.env,
    });
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
      return running;
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

/**
 * Whether a process with this pid is alive (EPERM counts: it exists, it is not ours). A zombie is not:
 * it has exited, and its parent (a supervisor, a test, a benchmark) may not have reaped it yet.
 */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if (codeOf(error) !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Asks the daemon to shut down (it stops every service of every config first), then waits until its
 * pid is gone and its socket no longer answers.
 *
 * @throws the connection's DAEMON_NOT_RUNNING when no daemon answers; CliError DAEMON_STOP_TIMEOUT.
 */
export async function stopDaemon(options: {
  readonly socket: string;
  readonly timeoutMs?: number;
  readonly onStopping?: (pid: number) => void;
}): Promise<{ readonly pid: number }> {
  const client = await DaemonClient.connect(options.socket, { client: `kepler-cli/${CLI_VERSION}` });
  let pid: number;
  try {
    pid = client.daemon.pid;
    options.onStopping?.(pid);
    try {
      await client.request({ type: 'shutdown' });
    } catch (error) {
      // The daemon may close the socket as it exits, before or instead of answering: that is success if
      // it is indeed gone below. A refusal (a wire error) is rethrown.
      if (codeOf(error) !== 'CONNECTION_CLOSED') throw error;
    }
  } finally {
    client.close();
  }
  const timeoutMs = options.timeoutMs ?? DAEMON_STOP_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!processExists(pid)) {
      const still = await probeDaemon(options.socket).catch(() => null);
      if (still === null) return { pid };
    }
    if (Date.now() > deadline) {
      throw new CliError(
        'DAEMON_STOP_TIMEOUT',
        `The Kepler daemon (pid ${pid}) is still running ${Math.round(timeoutMs / 1000)}s after it was asked to stop`,
      );
    }
    await delay(DAEMON_POLL_INTERVAL_MS * 2);
  }
}
