import type { BakedService } from '@kepler/config';
import { exitPhrase } from '../exitPhrase.js';
import { formatMs } from '../formatMs.js';
import { type PidFileState, type Platform, PlatformError, type ProcessExit } from '../platform/index.js';

/**
 * How often a forking start reads its pid file. Only while that service starts (bounded by its
 * start_timeout): a running daemon's exit is reported by the fork server, not polled for.
 */
export const PID_FILE_POLL_MS = 50;

/**
 * File times are taken from a coarse kernel clock (a tick behind the wall clock): a pid file written
 * right after the launch may carry an mtime a few ms before it.
 */
const MTIME_SLACK_MS = 20;

/** The process a forking service's pid file named: what is supervised from then on. */
export interface DaemonProcess {
  readonly pid: number;
  readonly startTime: string;
  readonly pgid: number;
}

/** The process started to daemonise: its start time dates the pid file's process, its exit is watched. */
export interface Launcher {
  readonly pid: number;
  readonly startTime: string;
  readonly exited: Promise<ProcessExit>;
}

function failed(message: string): PlatformError {
  return new PlatformError('SPAWN_FAILED', message);
}

/** Why the wait gave up, from what the pid file said last. */
function timeoutReason(path: string, read: PidFileState, timeoutMs: number): string {
  switch (read.state) {
    case 'missing':
      return `pid file ${path} did not appear within ${formatMs(timeoutMs)} (start_timeout)`;
    case 'invalid':
      return `pid file ${path} is unusable: ${read.detail}`;
    case 'dead':
      return `pid file ${path} names pid ${read.pid}, which is not running`;
    case 'earlier':
      return `pid file ${path} names pid ${read.pid}, which this start did not launch (left by an earlier run?)`;
    default:
      return `pid file ${path} did not name a running process within ${formatMs(timeoutMs)}`;
  }
}

/**
 * The daemon of an earlier start that no record names (a daemon crash interrupted that start while
 * it waited for the pid file): the pid file names a live process carrying the service's marker. It is
 * taken over instead of starting a second one. Null when there is none.
 */
export function survivingDaemon(
  platform: Platform,
  spec: BakedService,
  marker: string,
): DaemonProcess | null {
  const read = platform.readPidFile(spec.pidFile ?? '', { startTime: '0' });
  if (read.state !== 'alive') return null;
  const mine = platform.findServiceProcesses([marker]).get(marker) ?? [];
  if (!mine.some((p) => p.pid === read.pid && p.startTime === read.startTime)) return null;
  return { pid: read.pid, startTime: read.startTime, pgid: read.pgid };
}

/**
 * Waits for a `type: forking` service's daemon: the pid file must name a live process started no
 * earlier than the launcher, within start_timeout. Fails at once when the launcher exits non-zero,
 * or exits and the pid file, written since the launch, names a dead process. Rejects with
 * PlatformError SPAWN_FAILED (the reason) or SPAWN_CANCELLED (`proceed` turned false: a stop).
 */
export async function awaitDaemon(
  platform: Platform,
  spec: BakedService,
  launcher: Launcher,
  launchedAtMs: number,
  proceed: () => boolean,
): Promise<DaemonProcess> {
  const path = spec.pidFile ?? '';
  const timeoutMs = spec.startTimeoutMs ?? 0;
  const deadline = launchedAtMs + timeoutMs;
  const launcherEnd: { exit: ProcessExit | null } = { exit: null };
  let wake: (() => void) | null = null;
  void launcher.exited.then((exit) => {
    launcherEnd.exit = exit;
    wake?.();
  });
  await Promise.resolve(); // an exit already known is seen by the first look
  for (;;) {
    if (!proceed()) throw new PlatformError('SPAWN_CANCELLED', 'stopped before its pid file named a process');
    const read = platform.readPidFile(path, launcher);
    // The start command naming itself did not daemonise: once it exits, the pid names a dead process.
    if (read.state === 'alive' && read.pid !== launcher.pid)
      return { pid: read.pid, startTime: read.startTime, pgid: read.pgid };
    const exit = launcherEnd.exit;
    if (exit !== null && exit.code !== 0) {
      throw failed(`the start command ${exitPhrase(exit)} before its pid file named a running process`);
    }
    if (exit !== null && read.state === 'dead' && read.writtenAtMs >= launchedAtMs - MTIME_SLACK_MS) {
      throw failed(timeoutReason(path, read, timeoutMs));
    }
    const now = platform.clock.now();
    if (now >= deadline) throw failed(timeoutReason(path, read, timeoutMs));
    await new Promise<void>((resolve) => {
      const timer = platform.clock.setTimeout(done, Math.min(PID_FILE_POLL_MS, deadline - now));
      function done() {
        platform.clock.clearTimeout(timer);
        wake = null;
        resolve();
      }
      wake = done; // the launcher's exit is acted on at once
    });
  }
}
