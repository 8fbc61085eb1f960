import type { ResultOf, ServiceInfo } from '@kepler/protocol';
import type { ConfigActor } from '../../config/ConfigActor.js';
import type { ConfigRegistry } from '../../config/ConfigRegistry.js';
import {
  MetricsSampler,
  PROMETHEUS_CONTENT_TYPE,
  renderPrometheus,
  type Sample,
  sampleTargets,
  topSnapshot,
  usageOf,
} from '../../metrics/index.js';
import { linuxPlatform, type Platform } from '../../platform/index.js';
import type { DaemonInfo, Handler } from './HandlerTable.js';

/** The processes of every loaded config's services, as the sampler reads them. */
function servicesOf(actors: readonly ConfigActor[]) {
  return actors.flatMap((actor) =>
    [...actor.services.values()].map((rt) => ({
      config: actor.path,
      name: rt.name,
      marker: rt.marker,
      pid: rt.state.pid,
    })),
  );
}

function rowsOf(actors: readonly ConfigActor[]): ServiceInfo[] {
  return actors.flatMap((actor) => actor.ps());
}

/**
 * The usage family: `top` (one snapshot, or with `follow` one a second until cancelled) and `metrics`
 * (the Prometheus text). One sampler for the daemon: it reads only while one of these asks.
 */
export function usageHandlers(
  registry: ConfigRegistry,
  daemon: DaemonInfo,
  platform: Platform = linuxPlatform,
): { top: Handler<'top'>; metrics: Handler<'metrics'> } {
  const sampler = new MetricsSampler(
    platform,
    () => sampleTargets(servicesOf(registry.list())),
    (err) => daemon.log?.(`sampling usage: ${(err as Error)?.message ?? String(err)}`),
  );
  const top: Handler<'top'> = async (req, ctx) => {
    // Every loaded config (asked again at each sample: one loaded meanwhile shows up), or one.
    let actors = () => registry.list();
    if (!req.all && req.config) {
      const actor = await registry.getLoaded(req.config);
      if (!actor) return { sampledAt: platform.clock.now(), services: [], usage: [], loaded: false };
      actors = () => [actor];
    }
    const view = (sample: Sample) => topSnapshot(rowsOf(actors()), sample);
    if (!req.follow) return view(await sampler.sampleWithRates());
    let last: ResultOf['top'] | null = null;
    const unwatch = sampler.watch((sample) => {
      last = view(sample);
      ctx.emit({ type: 'usage', snapshot: last });
    });
    await Promise.race([ctx.cancelled, daemon.closing]);
    unwatch();
    return last ?? view(sampler.sample());
  };
  const metrics: Handler<'metrics'> = async () => {
    const sample = sampler.sample();
    const rows = rowsOf(registry.list()).map((info) => ({ info, usage: usageOf(info, sample) }));
    return { contentType: PROMETHEUS_CONTENT_TYPE, text: renderPrometheus(rows, Date.now()) };
  };
  return { top, metrics };
}
