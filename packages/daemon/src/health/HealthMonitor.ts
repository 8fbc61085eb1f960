import type { BakedHealthcheck } from '@kepler/config';
import { runHttpProbe } from './httpProbe.js';
import { runWithinDeadline } from './probeDeadline.js';
import type { ProbeResult } from './probeResult.js';
import { runTcpProbe } from './tcpProbe.js';

export type { ProbeResult } from './probeResult.js';

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

  /** One probe of the configured kind, under the watchdog (timeout, kill, grace: probeDeadline.ts). */
  private runOnce(stopped: AbortSignal): Promise<ProbeResult> {
    const { probe, timeoutMs } = this.check;
    const run = (signal: AbortSignal): Promise<ProbeResult> => {
      switch (probe.kind) {
        case 'command':
          return this.runCommand(probe.test, timeoutMs, signal);
        case 'http':
          return runHttpProbe(probe.url, timeoutMs, signal);
        case 'tcp':
          return runTcpProbe(probe.host, probe.port, timeoutMs, signal);
        case 'ownPort': // resolved by onOwnPort before the monitor is made; none was assigned
          return Promise.resolve({ ok: false, output: 'the service has no port' });
      }
    };
    return runWithinDeadline(run, timeoutMs, stopped);
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
