import { type DaemonLocation, socketPath } from '@kepler/protocol';
import { startDaemonDetached } from './detach.js';
import { locateDaemon } from './locate.js';
import { probeDaemon, type RunningDaemon } from './ping.js';

/** The line a command prints to stderr when it started the daemon it needs. */
export function startedLine(pid: number): string {
  return `Started the Kepler daemon (pid ${pid})\n`;
}

/**
 * Starts the daemon at `location` detached, as `kepler daemon start -d` does, for a command that needs
 * one and found none (the caller checked `mayAutoStart`), and prints `Started the Kepler daemon (pid
 * N)` to `stderr`. Two commands may race to start it: when this start fails but a daemon answers
 * (the other one's), that one is used and nothing is printed.
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
  let running: RunningDaemon;
  try {
    running = await startDaemonDetached({ daemon, stateDir, socket });
  } catch (error) {
    const other = await probeDaemon(socket).catch(() => null);
    if (other !== null) return other;
    throw error;
  }
  options.stderr.write(startedLine(running.pid));
  return running;
}
