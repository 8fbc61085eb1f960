import type { Platform, ResourceUsage, UsageTarget } from '../platform/index.js';

/** Two reads of the OS are at least this far apart: a sample younger than this is answered from memory. */
export const MIN_SAMPLE_INTERVAL_MS = 1000;
/**
 * A one-shot request for CPU percentages (`top --json`) uses the previous sample as its baseline
 * when it is at most this old; otherwise it reads one and waits MIN_SAMPLE_INTERVAL_MS for a second.
 */
export const BASELINE_MAX_AGE_MS = 10_000;

/** A service to sample: `key` names it in the result (the caller's choice: config and service). */
export interface SampleTarget extends UsageTarget {
  readonly key: string;
}

/** One service in one sample. */
export interface UsageSample {
  /** CPU seconds used so far (see ResourceUsage: what counts depends on `source`). */
  readonly cpuSeconds: number;
  /** Percent of one core since the previous sample of the same process; null without one. */
  readonly cpuPercent: number | null;
  readonly memoryBytes: number;
  readonly source: ResourceUsage['source'];
}

/** The services' usage at one moment (platform clock, ms), by key; null: nothing to read (nothing runs). */
export interface Sample {
  readonly at: number;
  readonly usage: ReadonlyMap<string, UsageSample | null>;
}

interface Baseline {
  readonly at: number;
  readonly pid: number | null;
  readonly cpuSeconds: number;
}

/**
 * Samples the services' CPU and memory only while someone watches: `watch` (top, the dashboard)
 * keeps a timer that reads once every MIN_SAMPLE_INTERVAL_MS until the last watcher leaves, and
 * `sample` (a metrics scrape) reads once, or answers from a sample younger than that interval. With
 * nobody watching there is no timer and no read: an idle daemon spends nothing on metrics.
 */
export class MetricsSampler {
  private last: Sample | null = null;
  private baselines = new Map<string, Baseline>();
  private readonly watchers = new Set<(sample: Sample) => void>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly platform: Pick<Platform, 'readUsage' | 'clock'>,
    /** The services to read now (those with a process); asked at each read. */
    private readonly targets: () => readonly SampleTarget[],
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  /** How many watchers there are (0: no timer runs). */
  get watching(): number {
    return this.watchers.size;
  }

  /** A sample at most MIN_SAMPLE_INTERVAL_MS old: the last one, or a fresh read. */
  sample(): Sample {
    const now = this.platform.clock.now();
    if (this.last !== null && now - this.last.at < MIN_SAMPLE_INTERVAL_MS) return this.last;
    return this.read(now);
  }

  /**
   * A sample with a CPU percentage for every service that has one to give: when the previous sample
   * is too old to be a baseline, reads one, waits MIN_SAMPLE_INTERVAL_MS (one timer, for this request
   * only) and reads again.
   */
  async sampleWithRates(): Promise<Sample> {
    const now = this.platform.clock.now();
    if (this.last !== null && now - this.last.at <= BASELINE_MAX_AGE_MS) return this.sample();
    const first = this.sample();
    if (first.usage.size === 0) return first; // nothing runs: nothing to wait for
    await new Promise<void>((resolve) => this.platform.clock.setTimeout(resolve, MIN_SAMPLE_INTERVAL_MS));
    return this.sample();
  }

  /**
   * Calls `listener` with a fresh sample now and then once every MIN_SAMPLE_INTERVAL_MS until the
   * returned function is called. All watchers share one timer; the last to leave stops it.
   */
  watch(listener: (sample: Sample) => void): () => void {
    this.watchers.add(listener);
    if (this.timer === null) this.tick();
    else if (this.last !== null) this.tell(listener, this.last);
    return () => {
      this.watchers.delete(listener);
      if (this.watchers.size > 0 || this.timer === null) return;
      this.platform.clock.clearTimeout(this.timer);
      this.timer = null;
    };
  }

  private tick(): void {
    const sample = this.sample();
    for (const listener of [...this.watchers]) this.tell(listener, sample);
    if (this.watchers.size === 0) return; // the only listener left while being told
    this.timer = this.platform.clock.setTimeout(() => this.tick(), MIN_SAMPLE_INTERVAL_MS);
  }

  private tell(listener: (sample: Sample) => void, sample: Sample): void {
    try {
      listener(sample);
    } catch (err) {
      this.onError(err);
    }
  }

  private read(now: number): Sample {
    const targets = this.targets();
    let read: Map<string, ResourceUsage | null>;
    try {
      read = targets.length > 0 ? this.platform.readUsage(targets) : new Map();
    } catch (err) {
      this.onError(err);
      read = new Map();
    }
    const usage = new Map<string, UsageSample | null>();
    const baselines = new Map<string, Baseline>();
    for (const t of targets) {
      const u = read.get(t.marker) ?? null;
      if (u === null) {
        usage.set(t.key, null);
        continue;
      }
      const before = this.baselines.get(t.key);
      // Another process (a restart), or a counter that went back (a new cgroup): no rate yet.
      const comparable = before !== undefined && before.pid === t.pid && u.cpuSeconds >= before.cpuSeconds;
      const cpuPercent =
        comparable && now > before.at
          ? ((u.cpuSeconds - before.cpuSeconds) * 100_000) / (now - before.at)
          : null;
      usage.set(t.key, {
        cpuSeconds: u.cpuSeconds,
        cpuPercent,
        memoryBytes: u.memoryBytes,
        source: u.source,
      });
      baselines.set(t.key, { at: now, pid: t.pid, cpuSeconds: u.cpuSeconds });
    }
    // Only what this read saw is kept: services that stopped or went away leave nothing behind.
    this.baselines = baselines;
    this.last = { at: now, usage };
    return this.last;
  }
}
