import { DaemonClient } from '@kepler/protocol';
import { codeOf } from '../errors.js';
import { CLI_VERSION } from '../version.js';

/** Interval between probes of the socket or pid while waiting for a daemon to come or go. */
export const DAEMON_POLL_INTERVAL_MS = 50;

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
