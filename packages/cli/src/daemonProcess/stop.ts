import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { DaemonClient } from '@kepler/protocol';
import { CliError, codeOf } from '../errors.js';
import { CLI_VERSION } from '../version.js';
import { DAEMON_POLL_INTERVAL_MS, probeDaemon } from './ping.js';

/** How long `daemon stop` waits for the daemon to exit; generous, services get their stop grace periods. */
export const DAEMON_STOP_TIMEOUT_MS = 300_000;

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
