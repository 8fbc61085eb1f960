import type { ServiceInfo } from '@kepler/protocol';
import { STARTED_STATUSES } from '@kepler/protocol';
import type { ConfigActor } from '../../config/ConfigActor.js';
import { watchEvery } from '../../config/watchEvery.js';
import { formatMs } from '../../formatMs.js';
import type { ServiceState } from '../../service/serviceState.js';
import type { RequestContext } from './HandlerTable.js';

/**
 * `start --wait` (and `restart --wait`): waits until every service of the startup cluster is ready or
 * one of them failed, telling the client why the wait goes on for a service that was healthy before.
 */

/** Ready: healthy when it has a health check, else started; a one-shot that exited 0 counts as done. */
function readiness(actor: ConfigActor, name: string): 'ready' | 'pending' | { failed: string } {
  const rt = actor.services.get(name)!;
  const s = rt.state;
  if (s.status === 'failed') return { failed: s.reason ?? 'failed' };
  if (s.status === 'exited') return s.exitCode === 0 ? 'ready' : { failed: `exited with code ${s.exitCode}` };
  if (s.status === 'stopped' && rt.desired === 'stop') return { failed: 'stopped' };
  // As docker compose --wait, a service whose health check has given up on it fails the wait; unless it
  // was healthy since it started: a blip (a dependency restarting) is waited out, up to the timeout.
  if (s.status === 'unhealthy') return s.wasHealthy ? 'pending' : { failed: unhealthyReason(s) };
  if (rt.spec.type === 'oneshot') return 'pending'; // ready only once it exited 0 (above)
  if (rt.spec.healthcheck) return s.status === 'healthy' ? 'ready' : 'pending';
  return STARTED_STATUSES.has(s.status) ? 'ready' : 'pending';
}

function unhealthyReason(s: ServiceState): string {
  const output = s.lastHealthOutput?.split('\n')[0];
  return `unhealthy after ${s.healthFailures} failed checks${output ? `: ${output}` : ''}`;
}

/** Tells the client why the wait goes on for a service that turned unhealthy after being healthy. */
function noteRecovering(actor: ConfigActor, name: string, ctx: RequestContext): void {
  const s = actor.services.get(name)!.state;
  if (s.status !== 'unhealthy' || !s.wasHealthy) return;
  ctx.emit({
    type: 'progress',
    service: name,
    message: `${unhealthyReason(s)}; it was healthy before: waiting for it to recover`,
  });
}

/**
 * Resolves once every service of `cluster` is ready, or with the first that failed, or on timeout
 * (the service still pending) or cancellation (no service).
 */
export async function waitForCluster(
  actor: ConfigActor,
  cluster: string[],
  timeoutMs: number | null,
  ctx: RequestContext,
): Promise<{ ok: true } | { ok: false; service: string | null; reason: string }> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | null = null;
    let settled = false;
    let stopWatching: () => void = () => undefined;
    let offRecovering: () => void = () => undefined;
    const finish = (v: { ok: true } | { ok: false; service: string | null; reason: string }) => {
      if (settled) return;
      settled = true;
      stopWatching();
      offRecovering();
      if (timer) clearTimeout(timer);
      resolve(v);
    };
    const judge = (name: string) => {
      const r = readiness(actor, name);
      return typeof r === 'object' ? r : r === 'ready';
    };
    stopWatching = watchEvery(
      (l) => actor.subscribe(l),
      cluster,
      judge,
      (outcome) =>
        finish(outcome.ok ? outcome : { ok: false, service: outcome.service, reason: outcome.failure }),
    );
    if (settled) return;
    // A service that was healthy and turns unhealthy is waited for: say so (readiness keeps it pending).
    const inCluster = new Set(cluster);
    for (const name of cluster) noteRecovering(actor, name, ctx);
    offRecovering = actor.subscribe((e) => {
      if (e.type === 'serviceStatusChanged' && e.status === 'unhealthy' && inCluster.has(e.service))
        noteRecovering(actor, e.service, ctx);
    });
    if (timeoutMs !== null) {
      timer = setTimeout(() => {
        const waiting = cluster.find((n) => readiness(actor, n) === 'pending') ?? null;
        const info: ServiceInfo | undefined = waiting
          ? actor.ps().find((s) => s.name === waiting)
          : undefined;
        const state = waiting ? actor.services.get(waiting)!.state : null;
        const detail =
          state?.status === 'unhealthy'
            ? unhealthyReason(state)
            : `${info?.status}${info?.reason ? `: ${info.reason}` : ''}`;
        finish({
          ok: false,
          service: waiting,
          reason: `timed out after ${formatMs(timeoutMs)}${info ? ` waiting for ${info.name} (${detail})` : ''}`,
        });
      }, timeoutMs);
    }
    void ctx.cancelled.then(() => finish({ ok: false, service: null, reason: 'cancelled' }));
  });
}
