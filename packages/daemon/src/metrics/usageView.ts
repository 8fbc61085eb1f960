import type { ServiceInfo, ServiceUsage, TopSnapshot } from '@kepler/protocol';
import type { Sample, SampleTarget } from './MetricsSampler.js';

/** What the sampler needs to know of one service (a config actor's runtime gives it). */
export interface SampledService {
  readonly config: string;
  readonly name: string;
  readonly marker: string;
  readonly pid: number | null;
}

/** How a service is named in a sample. */
export function usageKey(config: string, service: string): string {
  return `${config}\0${service}`;
}

/** The services worth reading: those with a process (a stopped one has nothing to read). */
export function sampleTargets(services: Iterable<SampledService>): SampleTarget[] {
  const targets: SampleTarget[] = [];
  for (const s of services) {
    if (s.pid === null) continue;
    targets.push({ key: usageKey(s.config, s.name), marker: s.marker, pid: s.pid });
  }
  return targets;
}

/** One service's usage in `sample`, nulls when it was not read. */
export function usageOf(info: ServiceInfo, sample: Sample): ServiceUsage {
  const u = sample.usage.get(usageKey(info.config, info.name)) ?? null;
  return {
    config: info.config,
    service: info.name,
    cpuSeconds: u?.cpuSeconds ?? null,
    cpuPercent: u?.cpuPercent ?? null,
    memoryBytes: u?.memoryBytes ?? null,
    source: u?.source ?? null,
  };
}

/** `top`'s view: the services as `ps` shows them, each with its usage in `sample`. */
export function topSnapshot(services: readonly ServiceInfo[], sample: Sample): TopSnapshot {
  return { sampledAt: sample.at, services, usage: services.map((info) => usageOf(info, sample)) };
}
