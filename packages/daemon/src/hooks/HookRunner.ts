import type { BakedHook } from '@kepler/config';
import { exitPhrase } from '../exitPhrase.js';
import { formatMs } from '../formatMs.js';
import type { LogStore } from '../logs/index.js';
import type { Platform } from '../platform/index.js';

/** Environment key that marks every process Kepler starts, so escapees can be found and stopped. */
export const MARKER_ENV = 'KEPLER_SERVICE_ID';

/**
 * The marker: the `KEPLER_SERVICE_ID=<service id>` env entry (and the cgroup it names) of everything
 * started for a service; the service id is `<config id>.<service>`.
 */
export function serviceMarker(serviceId: string): string {
  return `${MARKER_ENV}=${serviceId}`;
}

export interface HookOutcome {
  ok: boolean;
  /** One line for logs and `failed` reasons: `pre_start hook exited with code 3`. */
  reason: string | null;
}

export interface HookRun {
  platform: Platform;
  logs: LogStore;
  /** Service name, or `global` for config-level hooks. */
  owner: string;
  hookName: string;
  hook: BakedHook;
  /** The owner's service id (`<config id>.<service>`): the hook carries its service's marker. */
  serviceId: string;
  /** Aborting ends the hook (its process group): a stop does not wait for a launch's pre_start. */
  signal?: AbortSignal;
  /**
   * How long the hook may run (a stop-path hook: its stop grace period): then its process group is
   * SIGKILLed and the outcome is a failure naming `setting`. Absent: it runs until it exits.
   */
  limit?: HookLimit;
}

/** A run-time bound of a hook and the setting it comes from, named in the message when it is hit. */
export interface HookLimit {
  ms: number;
  setting: string;
}

/** After a hook exits, how long its output pipes may stay open (a backgrounded child holds them). */
export const HOOK_DRAIN_MS = 200;
/** Grace between SIGTERM and SIGKILL for an aborted hook. */
export const HOOK_ABORT_GRACE_MS = 2000;

/** Processes of hooks still running, so a daemon shutdown can end them. */
const running = new Set<{ pid: number; marker: string; platform: Platform }>();

/**
 * Runs one hook to completion: `run` through `sh -c`, `command` as argv, as the hook's user, in its
 * working directory, with its complete environment. Output lands in the logs as `<owner>.<hook>`.
 * Never throws: a hook that cannot even be spawned is a failed outcome with the reason.
 */
export async function runHook(r: HookRun): Promise<HookOutcome> {
  const out = r.logs.sink({ service: r.owner, hook: r.hookName, stream: 'stdout' });
  const err = r.logs.sink({ service: r.owner, hook: r.hookName, stream: 'stderr' });
  try {
    const proc = await r.platform.spawn({
      command: r.hook.command,
      cwd: r.hook.workingDir,
      env: { ...r.hook.environment },
      marker: serviceMarker(r.serviceId),
      user: r.hook.user,
      group: r.hook.group,
      limits: { memoryBytes: null, cpuTimeSec: null, maxFds: null },
      stdout: 'pipe',
      stderr: 'pipe',
    });
    const entry = { pid: proc.pid, marker: serviceMarker(r.serviceId), platform: r.platform };
    running.add(entry);
    const abort = () =>
      void r.platform.stopProcessTree({
        pid: proc.pid,
        pgid: proc.pid, // the hook's own group only: the owner's marker would also end its service
        signal: 'SIGTERM',
        graceMs: HOOK_ABORT_GRACE_MS,
      });
    if (r.signal?.aborted) abort();
    else r.signal?.addEventListener('abort', abort, { once: true });
    let timedOut = false;
    const clock = r.platform.clock;
    // Its time is up: the group goes at once (the grace was the limit); leftovers outside it go with
    // the marker's sweep that follows every stop.
    const limitTimer = r.limit
      ? clock.setTimeout(() => {
          timedOut = true;
          void r.platform.stopProcessTree({ pid: proc.pid, pgid: proc.pid, signal: 'SIGKILL', graceMs: 0 });
        }, r.limit.ms)
      : null;
    const drained = Promise.all([pump(proc.stdout, out), pump(proc.stderr, err)]);
    const exit = await proc.exited;
    clock.clearTimeout(limitTimer);
    r.signal?.removeEventListener('abort', abort);
    running.delete(entry);
    // A child the hook left in the background may hold the pipes open: do not wait for it.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([drained, new Promise((resolve) => (timer = setTimeout(resolve, HOOK_DRAIN_MS)))]);
    clearTimeout(timer);
    proc.stdout?.destroy();
    proc.stderr?.destroy();
    if (timedOut && r.limit) {
      const reason = `${r.hookName} hook ended after ${formatMs(r.limit.ms)} (${r.limit.setting})`;
      err.write(Buffer.from(`[kepler] ${reason}\n`));
      return { ok: false, reason };
    }
    if (exit.code === 0) return { ok: true, reason: null };
    const reason = `${r.hookName} hook ${exitPhrase(exit)}`;
    // The failure itself is logged with the hook's output: a failing post_* hook changes nothing else.
    err.write(Buffer.from(`${reason}\n`));
    return { ok: false, reason };
  } catch (e) {
    const reason = `${r.hookName} hook could not run: ${(e as Error).message}`;
    err.write(Buffer.from(`${reason}\n`));
    return { ok: false, reason };
  } finally {
    out.end();
    err.end();
  }
}

/** Ends every hook process still running (daemon shutdown). */
export async function stopRunningHooks(): Promise<void> {
  await Promise.all(
    [...running].map((h) =>
      h.platform.stopProcessTree({
        pid: h.pid,
        pgid: h.pid,
        marker: h.marker,
        signal: 'SIGTERM',
        graceMs: 2000,
      }),
    ),
  );
}

function pump(
  stream: NodeJS.ReadableStream | null | undefined,
  sink: { write(b: Buffer): void },
): Promise<void> {
  if (!stream) return Promise.resolve();
  return new Promise((resolve) => {
    stream.on('data', (chunk: Buffer) => sink.write(chunk));
    stream.on('end', resolve);
    stream.on('error', () => resolve());
    stream.on('close', resolve);
  });
}
