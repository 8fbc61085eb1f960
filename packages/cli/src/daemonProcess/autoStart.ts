import { setTimeout as delay } from 'node:timers/promises';
import { type DaemonLocation, socketPath } from '@kepler/protocol';
import { DAEMON_START_TIMEOUT_MS, startDaemonDetached } from './detach.js';
import { locateDaemon } from './locate.js';
import { DAEMON_POLL_INTERVAL_MS, probeDaemon, type RunningDaemon } from './ping.js';

/** The line a command prints to stderr when it started the daemon it needs. */
export function startedLine(pid: number): string {
  return `Started the Kepler daemon (pid ${pid})\n`;
}

/**
 * Starts the daemon at `location` detached, as `kepler daemon start -d` does, for a command that needs
 * one and found none (the caller checked `mayAutoStart`), and prints `Started the Kepler daemon (pid
 * N)` to `stderr`. Commands may race to start it: the daemon's start lock lets one win, and the
 * others use the winner's daemon and print nothing.
 *
 * @throws CliError DAEMON_START_FAILED (with the daemon's last lines), DAEMON_BINARY_NOT_FOUND
 */
export async function autoStartDaemon(options: {
  readonly location: DaemonLocation;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stderr: { write(text: string): unknown };
}): Promise<RunningDaemon> {
  const { stateDir } = options.location;
  const socket = socketPath(stateDir);
  const daemon = locateDaemon(options.env);
  let running: RunningDaemon & { readonly spawnedPid: number | undefined };
  try {
    running = await startDaemonDetached({ daemon, stateDir, socket });
  } catch (error) {
    // Ours refused because another command's daemon is starting (or runs): wait for that one.
    const other = await answerWithin(socket, DAEMON_START_TIMEOUT_MS);
    if (other !== null) return other;
    throw error;
  }
  if (running.pid === running.spawnedPid) options.stderr.write(startedLine(running.pid));
  return running;
}

/** The daemon that answers on `socket` within `timeoutMs`, or null. */
async function answerWithin(socket: string, timeoutMs: number): Promise<RunningDaemon | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const running = await probeDaemon(socket).catch(() => null);
    if (running !== null || Date.now() > deadline) return running;
    await delay(DAEMON_POLL_INTERVAL_MS);
  }
}
