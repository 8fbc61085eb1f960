import net from 'node:net';
import type { BakedHealthcheck } from '@kepler/config';

/** Outcome of one probe. */
export interface ProbeResult {
  ok: boolean;
  /** Last ~4 KiB of the command's combined output, or the HTTP status line, or the connect error. */
  output: string;
}

/**
 * Runs a health-check command (argv) the way the service runs (env, cwd, user) and kills its process
 * group once `timeoutMs` passes, resolving `{ok: false}` then; it should not reject. `signal` aborts
 * when the monitor stops or gives up on the probe: the runner should kill the command then too.
 */
export type CommandProbeRunner = (
  test: readonly string[],
  timeoutMs: number,
  signal?: AbortSignal,
) => Promise<ProbeResult>;

export interface HealthEvents {
  /** After every probe, with the consecutive-failure count it leaves (0 after a pass). */
  onResult(r: ProbeResult & { failures: number }): void;
  /** On each transition into healthy (from starting or unhealthy), not on every passing probe. */
  onHealthy(): void;
  /** On each transition into unhealthy (after `retries` consecutive failures), not on every failure. */
  onUnhealthy(): void;
  /** A callback above threw; without this the error is rethrown on the next tick. */
  onError?(err: unknown): void;
}

/** `starting` until the first pass or the `retries`-th consecutive failure. */
export type HealthState = 'starting' | 'healthy' | 'unhealthy';

/** Longest output kept from a probe (the tail is kept: errors come last). */
export const MAX_PROBE_OUTPUT_CHARS = 4096;
/**
 * How long past the timeout the monitor waits for a command runner to report its killed probe before
 * scheduling the next one anyway, so a runner that never settles cannot stall the checks.
 */
export const PROBE_KILL_GRACE_MS = 2000;

const ABORTED_OUTPUT = 'health check aborted';

function tail(s: string): string {
  return s.length > MAX_PROBE_OUTPUT_CHARS ? s.slice(-MAX_PROBE_OUTPUT_CHARS) : s;
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Resolves after `ms`, or as soon as one of `signals` aborts; leaves no timer or listener behind. */
function delay(ms: number, ...signals: AbortSignal[]): Promise<void> {
  return new Promise((resolve) => {
    if (signals.some((s) => s.aborted)) return resolve();
    const done = () => {
      clearTimeout(timer);
      for (const s of signals) s.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    for (const s of signals) s.addEventListener('abort', done, { once: true });
  });
}

/**
 * HTTP(S) GET probe: passes on a 2xx or 3xx status. Redirects are not followed, the body is discarded
 * unread, TLS certificates are not verified (liveness, not identity), no connection is kept alive.
 * The output is the status line (`HTTP 503 Service Unavailable`) or the error. Never rejects.
 */
export async function runHttpProbe(
  url: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<ProbeResult> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, output: `invalid URL: ${url}` };
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    return { ok: false, output: `unsupported URL scheme: ${parsed.protocol}` };
  // Loaded on first use: node:https (TLS) costs the idle daemon ~2 MB of resident memory.
  const client = parsed.protocol === 'https:' ? await import('node:https') : await import('node:http');
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      req.destroy(); // no body, no keep-alive: the socket goes now
      resolve({ ok: r.ok, output: tail(r.output) });
    };
    const onAbort = () => finish({ ok: false, output: ABORTED_OUTPUT });
    const req = client.get(
      parsed,
      { agent: false, rejectUnauthorized: false, headers: { 'user-agent': 'kepler-healthcheck' } },
      (res) => {
        const code = res.statusCode ?? 0;
        res.resume();
        finish({
          ok: code >= 200 && code < 400,
          output: `HTTP ${code} ${res.statusMessage ?? ''}`.trimEnd(),
        });
      },
    );
    req.on('error', (e) => finish({ ok: false, output: e.message }));
    const timer = setTimeout(
      () => finish({ ok: false, output: `timed out after ${timeoutMs} ms` }),
      timeoutMs,
    );
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** TCP probe: passes once a connection to host:port is established (then closed at once). Never rejects. */
export function runTcpProbe(
  host: string,
  port: number,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(r);
    };
    const onAbort = () => finish({ ok: false, output: ABORTED_OUTPUT });
    const socket = net.connect({ host, port });
    socket.on('connect', () => finish({ ok: true, output: `connected to ${host}:${port}` }));
    socket.on('error', (e) => finish({ ok: false, output: e.message }));
    const timer = setTimeout(
      () => finish({ ok: false, output: `connect to ${host}:${port} timed out after ${timeoutMs} ms` }),
      timeoutMs,
    );
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs a service's health check on a schedule and reports transitions. One monitor per service run:
 * create a new one (or `stop()` then `start()`) when the service restarts, which resets the counter.
 *
 * After `start()` it probes at once, then waits `interval` after the end of each probe (probes never
 * overlap). A pass makes the state healthy and resets the failure count; `retries` consecutive
 * failures (at least one) make it unhealthy; a pass brings it back. As in docker, `start_period` is a
 * grace period: until it ends (or the first pass), failures are not counted, so a slow starter is not
 * marked unhealthy while a fast one is found healthy at once. A probe still running at `timeout`
 * fails. It does not change the service's status itself: the events do that.
 */
export class HealthMonitor {
  private timer: NodeJS.Timeout | null = null;
  /** Aborts the in-flight probe; also the token telling a probe's result to be ignored. */
  private current: AbortController | null = null;
  private running = false;
  private failureCount = 0;
  private healthState: HealthState = 'starting';
  /** Failures before this time (and before the first pass) do not count: the start_period. */
  private graceEndsAt = 0;
  private everHealthy = false;

  constructor(
    private readonly check: BakedHealthcheck,
    private readonly runCommand: CommandProbeRunner,
    private readonly events: HealthEvents,
  ) {}

  /** Starts the schedule from a fresh `starting` state; a no-op while started. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.failureCount = 0;
    this.healthState = 'starting';
    this.graceEndsAt = Date.now() + this.check.startPeriodMs;
    this.everHealthy = false;
    this.schedule(0);
  }

  /** Cancels the schedule and aborts an in-flight probe; no callback fires after it returns. */
  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.current?.abort();
    this.current = null;
  }

  /** Consecutive failures so far (0 after a pass). */
  get failures(): number {
    return this.failureCount;
  }

  get state(): HealthState {
    return this.healthState;
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.probe();
    }, ms);
  }

  private async probe(): Promise<void> {
    const stopped = new AbortController();
    this.current = stopped;
    const result = await this.runOnce(stopped.signal);
    if (this.current !== stopped) return; // stopped meanwhile (or stopped and started again)
    this.current = null;

    const wasState = this.healthState;
    if (result.ok) {
      this.failureCount = 0;
      this.healthState = 'healthy';
      this.everHealthy = true;
    } else if (!this.everHealthy && Date.now() < this.graceEndsAt) {
      // start_period: not counted.
    } else {
      this.failureCount++;
      if (this.failureCount >= Math.max(1, this.check.retries)) this.healthState = 'unhealthy';
    }
    const failures = this.failureCount;
    // Each callback may stop the monitor (e.g. the service is restarted): check before the next.
    this.emit(() => this.events.onResult({ ...result, failures }));
    if (this.running && this.healthState !== wasState) {
      if (this.healthState === 'healthy') this.emit(() => this.events.onHealthy());
      else if (this.healthState === 'unhealthy') this.emit(() => this.events.onUnhealthy());
    }
    if (this.running && this.timer === null && this.current === null) this.schedule(this.check.intervalMs);
  }

  /**
   * One probe bounded by the timeout; a timed-out probe is aborted (killed) and awaited up to a grace
   * so the next one does not overlap it. `stopped` cuts every wait short (the result is ignored then).
   */
  private async runOnce(stopped: AbortSignal): Promise<ProbeResult> {
    const { probe, timeoutMs } = this.check;
    const kill = new AbortController();
    const onStop = () => kill.abort();
    stopped.addEventListener('abort', onStop, { once: true });
    const pending: Promise<ProbeResult> = (async () => {
      switch (probe.kind) {
        case 'command':
          return this.runCommand(probe.test, timeoutMs, kill.signal);
        case 'http':
          return runHttpProbe(probe.url, timeoutMs, kill.signal);
        case 'tcp':
          return runTcpProbe(probe.host, probe.port, timeoutMs, kill.signal);
      }
    })().catch((e: unknown) => ({ ok: false, output: `health check could not run: ${errorMessage(e)}` }));

    try {
      let outcome: ProbeResult | null = null;
      const settled = new AbortController();
      void pending.then((r) => {
        outcome = r;
        settled.abort();
      });
      await delay(timeoutMs, settled.signal, stopped);
      const first = outcome as ProbeResult | null; // (TS cannot see the callback's assignment)
      if (first !== null) return { ok: first.ok, output: tail(first.output) };

      const message = `health check timed out after ${timeoutMs} ms`;
      kill.abort(); // the runner kills the command; http/tcp destroy their socket
      await delay(PROBE_KILL_GRACE_MS, settled.signal, stopped);
      const late = outcome as ProbeResult | null;
      const partial = late && late.output !== ABORTED_OUTPUT ? late.output : '';
      return { ok: false, output: tail(partial ? `${partial}\n${message}` : message) };
    } finally {
      stopped.removeEventListener('abort', onStop);
    }
  }

  private emit(fn: () => void): void {
    if (!this.running) return;
    try {
      fn();
    } catch (err) {
      if (this.events.onError) this.events.onError(err);
      else
        process.nextTick(() => {
          throw err;
        });
    }
  }
}
