import { isActive } from '@kepler/protocol';
import { runCommandProbe } from '../health/commandProbe.js';
import { HealthMonitor } from '../health/HealthMonitor.js';
import { serviceMarker } from '../hooks/HookRunner.js';
import { ServiceTransitions } from './ServiceTransitions.js';
import { HEALTH_HISTORY } from './serviceState.js';

/**
 * A service's health checks, between its transitions and its operations (ServiceRuntime): the
 * monitor of the current run, its results (the last HEALTH_HISTORY kept for `inspect`), and the
 * healthy/unhealthy transitions with their hooks.
 */
export abstract class ServiceHealth extends ServiceTransitions {
  private health: HealthMonitor | null = null;

  /** `KEPLER_SERVICE_ID=<service id>`: the env entry that marks every process the service starts. */
  get marker(): string {
    return serviceMarker(this.host.serviceIdOf(this.name));
  }

  /** Starts checking the current run (a monitor of an earlier run is stopped first). */
  protected startHealth(): void {
    const check = this.spec.healthcheck;
    if (!check) return;
    this.stopHealth();
    const monitor = new HealthMonitor(
      check,
      (test, timeoutMs, signal) =>
        runCommandProbe(this.host.platform, this.spec, test, timeoutMs, this.marker, signal),
      {
        onError: (err) =>
          this.host.logError(`health check of ${this.name}: ${(err as Error)?.message ?? String(err)}`),
        onResult: (r) => {
          const result = { at: new Date().toISOString(), ok: r.ok, output: r.output };
          const healthResults = [...this.state.healthResults.slice(1 - HEALTH_HISTORY), result];
          this.amend({ healthFailures: r.failures, lastHealthOutput: r.output, healthResults });
        },
        onHealthy: () => {
          if (!this.healthCounts(monitor)) return;
          this.transition('healthy', { health: 'healthy', wasHealthy: true });
          const hook = this.spec.hooks.post_healthcheck_success;
          if (hook) void this.host.runServiceHook(this.name, 'post_healthcheck_success', hook);
        },
        onUnhealthy: () => {
          if (!this.healthCounts(monitor)) return;
          const output = this.state.lastHealthOutput?.trim().split('\n').at(-1) ?? '';
          const failures = `${this.state.healthFailures} health check${this.state.healthFailures === 1 ? '' : 's'} failed`;
          this.noteCause('failure', 'health', output === '' ? failures : `${failures}: ${output}`);
          this.transition('unhealthy', { health: 'unhealthy' });
          const hook = this.spec.hooks.post_healthcheck_fail;
          if (hook) void this.host.runServiceHook(this.name, 'post_healthcheck_fail', hook);
        },
      },
    );
    this.health = monitor;
    monitor.start();
  }

  /** A verdict of `monitor` still applies: it is the current one and the service runs (not stopping). */
  private healthCounts(monitor: HealthMonitor): boolean {
    const s = this.state.status;
    return this.health === monitor && isActive(s) && s !== 'stopping';
  }

  protected stopHealth(): void {
    this.health?.stop();
    this.health = null;
  }
}
