import type { BakedService } from '@kepler/config';
import { formatMs } from '../formatMs.js';
import { runCommandProbe } from '../health/commandProbe.js';
import { HealthMonitor } from '../health/HealthMonitor.js';
import { onOwnPort } from '../health/onOwnPort.js';
import type { ProbeResult } from '../health/probeResult.js';
import type { Platform } from '../platform/index.js';
import type { ServiceHost } from './ServiceHost.js';
import { withPort } from './SupervisedProcess.js';
import type { ServiceState } from './serviceState.js';

/** What a service's health watch asks of its runtime. */
export interface HealthVerdicts {
  /** Whether a verdict still applies (the service runs and is not stopping). */
  counts(): boolean;
  onResult(r: ProbeResult & { failures: number }): void;
  onHealthy(): void;
  onUnhealthy(): void;
  /** `on_unhealthy: restart`: restart the service through the restart path. */
  restart(): Promise<void>;
  /** Stop the current process and fail the service with `reason` (start_timeout). */
  fail(reason: string): Promise<void>;
}

/**
 * The health side of one service run: its HealthMonitor, the post_healthcheck_* hooks, what turning
 * unhealthy does (`on_unhealthy`) and the `start_timeout` timer (on the platform's clock). A verdict
 * reaches the runtime only from the current run's monitor, and only while `counts()` holds; `stop()`
 * ends both.
 */
export class ServiceHealth {
  private monitor: HealthMonitor | null = null;
  private startTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly host: ServiceHost,
    private readonly spec: () => BakedService,
    private readonly marker: () => string,
    private readonly verdicts: HealthVerdicts,
    /** The port the run was given (`http: /path`, `tcp: port` and PORT for a command probe). */
    private readonly port: () => number | null = () => null,
  ) {}

  /**
   * Starts watching the run that began at `startedAtMs` (earlier for an adopted process: the
   * start_timeout counts from the process's start). `wasHealthy`: no start_timeout any more.
   * `resumed`: the health an adopted run had; a first verdict that repeats it runs no hook.
   */
  start(startedAtMs: number, wasHealthy: boolean, resumed: ServiceState['health'] = null): void {
    const spec = this.spec();
    const check = spec.healthcheck;
    if (!check) return;
    this.stop();
    const port = this.port();
    const probeSpec = { ...spec, environment: withPort(spec.environment, port) };
    // The monitor starts from `starting`: its first verdict on an adopted run is no change of health.
    let repeats: ServiceState['health'] = resumed;
    const changed = (verdict: 'healthy' | 'unhealthy') => {
      const same = repeats === verdict;
      repeats = null;
      return !same;
    };
    const monitor = new HealthMonitor(
      onOwnPort(check, port),
      (test, timeoutMs, signal) =>
        runCommandProbe(this.platform, probeSpec, test, timeoutMs, this.marker(), signal),
      {
        onError: (err) =>
          this.host.logError(`health check of ${spec.name}: ${(err as Error)?.message ?? String(err)}`),
        onResult: (r) => this.verdicts.onResult(r),
        onHealthy: () => {
          if (!this.applies(monitor)) return;
          this.clearStartTimer();
          this.verdicts.onHealthy();
          const hook = spec.hooks.post_healthcheck_success;
          if (changed('healthy') && hook)
            void this.host.runServiceHook(spec.name, 'post_healthcheck_success', hook);
        },
        onUnhealthy: () => {
          if (!this.applies(monitor)) return;
          this.verdicts.onUnhealthy();
          const hook = spec.hooks.post_healthcheck_fail;
          if (changed('unhealthy') && hook)
            void this.host.runServiceHook(spec.name, 'post_healthcheck_fail', hook);
          if (check.onUnhealthy === 'restart') void this.verdicts.restart();
        },
      },
    );
    this.monitor = monitor;
    // Absent from snapshots baked before start_timeout existed.
    const limitMs = check.startTimeoutMs ?? null;
    if (limitMs !== null && !wasHealthy) {
      const leftMs = Math.max(0, startedAtMs + limitMs - this.platform.clock.now());
      this.startTimer = this.platform.clock.setTimeout(() => {
        this.startTimer = null;
        if (this.applies(monitor))
          void this.verdicts.fail(`not healthy within ${formatMs(limitMs)} (healthcheck.start_timeout)`);
      }, leftMs);
    }
    monitor.start();
  }

  stop(): void {
    this.monitor?.stop();
    this.monitor = null;
    this.clearStartTimer();
  }

  private get platform(): Platform {
    return this.host.platform;
  }

  private applies(monitor: HealthMonitor): boolean {
    return this.monitor === monitor && this.verdicts.counts();
  }

  private clearStartTimer(): void {
    this.platform.clock.clearTimeout(this.startTimer);
    this.startTimer = null;
  }
}
