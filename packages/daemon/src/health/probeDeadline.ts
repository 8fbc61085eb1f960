// The one place a probe's time limit and abort are handled: every probe kind (command, http, tcp) and
// the monitor's watchdog arm their timer and abort listener here. One timer per probe: under the
// watchdog, the probe's signal is its deadline and the probe arms none of its own.

import { type Clock, systemClock } from '../platform/index.js';
import { outputTail, type ProbeResult } from './probeResult.js';

/** The output of a probe ended by its abort signal (the monitor stopped or gave up on it). */
export const ABORTED_OUTPUT = 'health check aborted';

/**
 * How long past the timeout the monitor waits for a probe to report after it was aborted (its
 * command killed) before scheduling the next one anyway, so a runner that never settles cannot stall
 * the checks.
 */
export const PROBE_KILL_GRACE_MS = 2000;

/**
 * Signals the monitor's watchdog aborts once the probe's time is up (runWithinDeadline): a probe
 * given one arms no timer, as the watchdog's already times it.
 */
const watchedSignals = new WeakSet<AbortSignal>();

/** What ends a probe early: its time limit, or an abort. */
export interface DeadlineHandlers {
  timeout(): void;
  abort(): void;
}

/**
 * Calls `on.timeout` once `timeoutMs` passes or `on.abort` once any of `signals` aborts (at once,
 * synchronously, when one already has), whichever comes first, and only that one. The returned
 * function disarms it (clears the timer and listeners); call it when the probe settles on its own.
 * No timer is armed when one of `signals` is the watchdog's: its abort is the time limit then.
 */
export function armDeadline(
  timeoutMs: number,
  signals: readonly (AbortSignal | undefined)[],
  on: DeadlineHandlers,
  clock: Clock = systemClock,
): () => void {
  if (signals.some((s) => s?.aborted)) {
    on.abort();
    return () => {};
  }
  let armed = true;
  const disarm = () => {
    if (!armed) return;
    armed = false;
    clock.clearTimeout(timer);
    for (const s of signals) s?.removeEventListener('abort', onAbort);
  };
  const onAbort = () => {
    if (!armed) return;
    disarm();
    on.abort();
  };
  const timer = signals.some((s) => s !== undefined && watchedSignals.has(s))
    ? null
    : clock.setTimeout(() => {
        disarm();
        on.timeout();
      }, timeoutMs);
  for (const s of signals) s?.addEventListener('abort', onAbort, { once: true });
  return disarm;
}

/**
 * Runs a probe that settles once: with what `start` reports through `finish`, with
 * `{ok: false, output: timeoutOutput}` once `timeoutMs` passes, or with ABORTED_OUTPUT once `signal`
 * aborts. `start` begins the work and returns its release (e.g. destroy the socket), called once when
 * the probe settles, whichever way. The output is cut to its tail. Never rejects.
 */
export function settleWithin(
  timeoutMs: number,
  signal: AbortSignal | undefined,
  timeoutOutput: string,
  start: (finish: (r: ProbeResult) => void) => () => void,
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    let release: (() => void) | null = null;
    let disarm = () => {};
    const finish = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      disarm();
      release?.();
      resolve({ ok: r.ok, output: outputTail(r.output) });
    };
    release = start(finish);
    if (settled) return release(); // `start` finished at once: nothing to arm
    disarm = armDeadline(timeoutMs, [signal], {
      timeout: () => finish({ ok: false, output: timeoutOutput }),
      abort: () => finish({ ok: false, output: ABORTED_OUTPUT }),
    });
  });
}

/** What `pending` settles to within `ms`, or null when the time runs out or `stopped` aborts first. */
function within(
  pending: Promise<ProbeResult>,
  ms: number,
  stopped: AbortSignal,
): Promise<ProbeResult | null> {
  return new Promise((resolve) => {
    const disarm = armDeadline(ms, [stopped], { timeout: () => resolve(null), abort: () => resolve(null) });
    void pending.then((r) => {
      disarm();
      resolve(r);
    });
  });
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * The monitor's watchdog over one probe, whatever its kind: `run` gets a signal that aborts when the
 * probe is past `timeoutMs` (the runner kills its command, http/tcp destroy their socket) or when
 * `stopped` aborts; its timer is the probe's only one (a probe arms none on that signal). A timed-out probe is awaited up to PROBE_KILL_GRACE_MS more, so the next one does
 * not overlap it, and fails with `health check timed out after N ms` (after its partial output, if
 * any). `stopped` cuts every wait short (the caller ignores the result then). A `run` that throws
 * fails with `health check could not run: ...`. The output is cut to its tail. Never rejects.
 */
export async function runWithinDeadline(
  run: (signal: AbortSignal) => Promise<ProbeResult>,
  timeoutMs: number,
  stopped: AbortSignal,
): Promise<ProbeResult> {
  const kill = new AbortController();
  watchedSignals.add(kill.signal);
  const onStop = () => kill.abort();
  stopped.addEventListener('abort', onStop, { once: true });
  const pending: Promise<ProbeResult> = (async () => run(kill.signal))().catch((e: unknown) => ({
    ok: false,
    output: `health check could not run: ${errorMessage(e)}`,
  }));
  try {
    const first = await within(pending, timeoutMs, stopped);
    if (first !== null) return { ok: first.ok, output: outputTail(first.output) };

    const message = `health check timed out after ${timeoutMs} ms`;
    kill.abort();
    const late = await within(pending, PROBE_KILL_GRACE_MS, stopped);
    const partial = late && late.output !== ABORTED_OUTPUT ? late.output : '';
    return { ok: false, output: outputTail(partial ? `${partial}\n${message}` : message) };
  } finally {
    stopped.removeEventListener('abort', onStop);
  }
}
