// The sampler on the in-process tier: a config's services run on the FakePlatform, whose clock is
// frozen, so "nothing happens while nobody watches" is checked as no timer pending and no read made.
import { runsUntilStopped } from '../testkit/behaviours.js';
import { config } from '../testkit/configBuilder.js';
import { type Harness, startHarness } from '../testkit/harness.js';
import { MetricsSampler, MIN_SAMPLE_INTERVAL_MS, type Sample } from './MetricsSampler.js';
import { sampleTargets, usageKey } from './usageView.js';

let h: Harness;
afterEach(() => h?.close());

async function twoServices(): Promise<MetricsSampler> {
  h = await startHarness(
    config()
      .service('api', { command: ['api'] })
      .service('idle', { command: ['idle'] }),
  );
  h.platform.onSpawn('api', runsUntilStopped);
  h.platform.onSpawn('idle', runsUntilStopped);
  await h.actor.start([]);
  await h.waitForStatus('api', 'running');
  await h.waitForStatus('idle', 'running');
  const api = await h.platform.waitForSpawn('api');
  api.cpuSeconds = 10;
  api.memoryBytes = 5_000_000;
  const actor = h.actor;
  return new MetricsSampler(h.platform, () =>
    sampleTargets(
      [...actor.services.values()].map((rt) => ({
        config: actor.path,
        name: rt.name,
        marker: rt.marker,
        pid: rt.state.pid,
      })),
    ),
  );
}

const of = (sample: Sample, service: string) => sample.usage.get(usageKey(h.actor.path, service));

test('nobody watching: no timer and no read, however long the daemon runs', async () => {
  const sampler = await twoServices();
  const timersBefore = h.platform.clock.pending().length;
  h.platform.clock.advance(60 * MIN_SAMPLE_INTERVAL_MS);
  expect(h.platform.usageReads).toBe(0);
  expect(h.platform.clock.pending()).toHaveLength(timersBefore);
  expect(sampler.watching).toBe(0);
});

test('a watcher gets a sample at once and one a second; the last to leave stops the timer', async () => {
  const sampler = await twoServices();
  const timersBefore = h.platform.clock.pending().length;
  const seen: Sample[] = [];
  const unwatch = sampler.watch((s) => seen.push(s));
  expect(seen).toHaveLength(1);
  expect(of(seen[0]!, 'api')).toEqual({
    cpuSeconds: 10,
    cpuPercent: null,
    memoryBytes: 5_000_000,
    source: 'cgroup',
  });
  expect(h.platform.clock.pending()).toEqual([
    ...Array(timersBefore).fill(expect.any(Number)),
    MIN_SAMPLE_INTERVAL_MS,
  ]);

  // Half a core for a second.
  h.platform.spawns('api')[0]!.cpuSeconds = 10.5;
  h.platform.clock.advance(MIN_SAMPLE_INTERVAL_MS);
  expect(seen).toHaveLength(2);
  expect(of(seen[1]!, 'api')?.cpuPercent).toBeCloseTo(50);
  expect(of(seen[1]!, 'idle')?.cpuPercent).toBe(0);

  // A second watcher shares the timer and gets the last sample without a read.
  const reads = h.platform.usageReads;
  const other: Sample[] = [];
  const unwatchOther = sampler.watch((s) => other.push(s));
  expect(other).toEqual([seen[1]]);
  expect(h.platform.usageReads).toBe(reads);
  unwatch();
  h.platform.clock.advance(MIN_SAMPLE_INTERVAL_MS);
  expect(other).toHaveLength(2);

  unwatchOther();
  expect(sampler.watching).toBe(0);
  expect(h.platform.clock.pending()).toHaveLength(timersBefore);
  const readsWhenLeft = h.platform.usageReads;
  h.platform.clock.advance(60 * MIN_SAMPLE_INTERVAL_MS);
  expect(h.platform.usageReads).toBe(readsWhenLeft);
});

test('a scrape reads at most once a second; it leaves no timer behind', async () => {
  const sampler = await twoServices();
  const timersBefore = h.platform.clock.pending().length;
  const first = sampler.sample();
  expect(sampler.sample()).toBe(first);
  h.platform.clock.advance(MIN_SAMPLE_INTERVAL_MS - 1);
  expect(sampler.sample()).toBe(first);
  expect(h.platform.usageReads).toBe(1);
  h.platform.clock.advance(1);
  expect(sampler.sample()).not.toBe(first);
  expect(h.platform.usageReads).toBe(2);
  expect(h.platform.clock.pending()).toHaveLength(timersBefore);
});

test('a one-shot request with no recent baseline waits a second for CPU percentages', async () => {
  const sampler = await twoServices();
  const pending = sampler.sampleWithRates();
  expect(h.platform.usageReads).toBe(1);
  h.platform.spawns('api')[0]!.cpuSeconds = 12;
  h.platform.clock.advance(MIN_SAMPLE_INTERVAL_MS);
  const sample = await pending;
  expect(of(sample, 'api')?.cpuPercent).toBeCloseTo(200);
  // The baseline is fresh now: the next one-shot answers without waiting.
  h.platform.clock.advance(MIN_SAMPLE_INTERVAL_MS);
  const next = await sampler.sampleWithRates();
  expect(of(next, 'api')?.cpuPercent).toBe(0);
});

test('a restarted process has no rate until its second sample; a stopped service reads as nothing', async () => {
  const sampler = await twoServices();
  sampler.sample();
  await h.actor.restart(['api']);
  await h.waitForStatus('api', 'running');
  h.platform.clock.advance(MIN_SAMPLE_INTERVAL_MS);
  expect(of(sampler.sample(), 'api')?.cpuPercent).toBeNull();
  await h.actor.stop(['idle']);
  h.platform.clock.advance(MIN_SAMPLE_INTERVAL_MS);
  expect(of(sampler.sample(), 'idle')).toBeUndefined();
});

test('a one-shot request with nothing running answers at once, with no timer', async () => {
  h = await startHarness(config().service('api', { command: ['api'] }));
  const sampler = new MetricsSampler(h.platform, () => []);
  const timersBefore = h.platform.clock.pending().length;
  const sample = await sampler.sampleWithRates();
  expect(sample.usage.size).toBe(0);
  expect(h.platform.clock.pending()).toHaveLength(timersBefore);
  expect(h.platform.usageReads).toBe(0);
});
