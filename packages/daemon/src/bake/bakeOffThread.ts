/**
 * Baking a config without blocking the daemon: the whole pipeline runs in a worker thread, so other
 * clients are answered while a big config (5,000 services: seconds) bakes, and a config that gets past
 * the pipeline's own bounds (see @kepler/config's `bounds.ts`) costs at most `BAKE_HEAP_MB` and
 * `BAKE_DEADLINE_MS`, never the daemon. A worker lives only while bakes come: started by the first
 * (a fresh V8 isolate loading the config pipeline: ~80 ms, ~10x a small config's bake), kept for the
 * next within `BAKE_WORKER_IDLE_MS`, then ended, since an idle one holds ~11 MB of the daemon's RSS.
 *
 * The config package and the YAML library are loaded only there, never on the daemon's main thread
 * (they would cost it ~4 MB of resident memory for good): the types come from @kepler/config, the
 * snapshot of a worker-less config is rendered here as JSON, and a snapshot written as YAML by an
 * earlier Kepler is parsed by a worker (`parseYamlOffThread`).
 */
import type { Worker } from 'node:worker_threads';
import type { BakedConfig, ConfigErrorCode, ConfigIssue } from '@kepler/config';
import { DaemonError } from '../errors.js';
import type { SourceFile } from './bakeSources.js';

/** Wall-clock limit of one bake, worker start-up included (a 10,000-service config bakes in ~5 s). */
export const BAKE_DEADLINE_MS = 30_000;
/** V8 old-generation heap limit of a bake worker (a 10,000-service bake peaks near 150 MB). */
export const BAKE_HEAP_MB = 512;
/** Bakes running at once; more wait their turn, so many clients cannot multiply `BAKE_HEAP_MB`. */
export const MAX_CONCURRENT_BAKES = 2;
/**
 * How long an idle bake worker is kept for the next bake before it is ended (its memory returned):
 * long enough for a script that starts several configs in a row, short enough that a daemon whose
 * services run does not keep it.
 */
export const BAKE_WORKER_IDLE_MS = 1_000;

/** What a worker is asked to bake. */
export interface BakeJob {
  readonly path: string;
  readonly env: Readonly<Record<string, string>>;
  /** Overlay files merged over `path`, in order (`ConfigRef.overlays`). */
  readonly overlays?: readonly string[];
}

/** What a worker is asked to do: bake a config, or parse YAML text (an earlier Kepler's snapshot). */
export type WorkerJob =
  | ({ readonly kind: 'bake' } & BakeJob)
  | { readonly kind: 'parseYaml'; readonly text: string };

/** What the worker posts back: the baked config, the user's mistakes, or a bug's stack. */
export type BakeOutcome =
  | {
      readonly ok: true;
      readonly baked: BakedConfig;
      readonly snapshotText: string;
      readonly sources: readonly SourceFile[];
    }
  | {
      readonly ok: false;
      readonly code: ConfigErrorCode;
      readonly message: string;
      readonly issues: readonly ConfigIssue[];
    }
  | { readonly ok: false; readonly bug: string };

/** What the worker posts back for a `parseYaml` job: the data, or why the text could not be read. */
export type ParseOutcome =
  | { readonly ok: true; readonly data: unknown }
  | { readonly ok: false; readonly bug: string };

type WorkerOutcome = BakeOutcome | ParseOutcome;

/** The snapshot text each bake's worker rendered (YAML of 5,000 services takes seconds to render). */
const renderedSnapshots = new WeakMap<BakedConfig, string>();
/** The files each bake read, with their hashes (see bakeSources.ts). */
const bakedSources = new WeakMap<BakedConfig, readonly SourceFile[]>();

let running = 0;
const waiting: (() => void)[] = [];
const idle: BakeWorker[] = [];

/**
 * Bakes `job.path` with the CLI's environment `job.env` in a worker thread and returns the result
 * deep-frozen. A config's problems become a `DaemonError` with the config's code and issues; a bake
 * over the deadline or the heap cap becomes `CONFIG_INVALID` naming the bound (its worker is ended).
 */
export async function bakeOffThread(job: BakeJob): Promise<BakedConfig> {
  const outcome = (await runOffThread({ kind: 'bake', ...job }, job.path)) as BakeOutcome;
  if (outcome.ok) {
    const baked = deepFreeze(outcome.baked);
    renderedSnapshots.set(baked, outcome.snapshotText);
    bakedSources.set(baked, outcome.sources);
    return baked;
  }
  if ('bug' in outcome) throw new Error(`baking ${job.path} failed: ${outcome.bug}`);
  throw new DaemonError(outcome.code, outcome.message, { issues: outcome.issues });
}

/**
 * Parses YAML text in a bake worker (Kepler never writes aliases: one is refused before it expands).
 * `file` names the text in errors. Rejects when the text is not YAML or the worker's bounds are hit.
 */
export async function parseYamlOffThread(text: string, file: string): Promise<unknown> {
  const outcome = (await runOffThread({ kind: 'parseYaml', text }, file)) as ParseOutcome;
  if (outcome.ok) return outcome.data;
  throw new Error(`parsing ${file} failed: ${outcome.bug}`);
}

/** Runs `job` on an idle worker or a new one, at most `MAX_CONCURRENT_BAKES` at once. */
async function runOffThread(job: WorkerJob, path: string): Promise<WorkerOutcome> {
  if (running >= MAX_CONCURRENT_BAKES) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await (idle.pop() ?? new BakeWorker(await workerClass())).run(job, path);
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/**
 * The snapshot (`expanded_config.yaml`) of `baked`: the text its bake worker rendered, or rendered
 * here for a config that did not come from `bakeOffThread` (one restored from its snapshot), the way
 * @kepler/config's `renderBakedConfig(baked, 'json')` does.
 */
export async function snapshotText(baked: BakedConfig): Promise<string> {
  return renderedSnapshots.get(baked) ?? `${JSON.stringify(baked, null, 2)}\n`;
}

/** The files `baked` was baked from, when it came from `bakeOffThread` (null for a restored snapshot). */
export function sourcesOf(baked: BakedConfig): readonly SourceFile[] | null {
  return bakedSources.get(baked) ?? null;
}

/**
 * node:worker_threads, loaded by the first bake: a daemon that bakes nothing (one restored from its
 * snapshots) does not hold it (~1.5 MB of RSS). A builtin, so loading it late is safe (see
 * startupImports.test.ts).
 */
async function workerClass(): Promise<typeof Worker> {
  return (await import('node:worker_threads')).Worker;
}

/** One worker thread, one bake at a time; back in `idle` after a bake that ended normally. */
class BakeWorker {
  private readonly worker: Worker;
  private current: {
    resolve(outcome: WorkerOutcome): void;
    reject(error: Error): void;
    path: string;
    timer: NodeJS.Timeout;
  } | null = null;
  private idleTimer: NodeJS.Timeout | undefined;
  private ended = false;

  constructor(WorkerClass: typeof Worker) {
    this.worker = new WorkerClass(new URL('./bakeWorker.js', import.meta.url), {
      resourceLimits: { maxOldGenerationSizeMb: BAKE_HEAP_MB },
    });
    // An idle worker must not keep the daemon's process alive.
    this.worker.unref();
    this.worker.on('message', (outcome: WorkerOutcome) => this.settle(outcome));
    this.worker.on('error', (error: Error & { code?: string }) =>
      this.fail(
        error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? overBound(this.current?.path, `needed more than ${BAKE_HEAP_MB} MB of memory`)
          : error,
      ),
    );
    this.worker.on('exit', (code) =>
      this.fail(new Error(`the bake worker exited (${code}) without a result`)),
    );
  }

  /** Runs `job`; `path` names the file it concerns in the errors of a bound that was hit. */
  run(job: WorkerJob, path: string): Promise<WorkerOutcome> {
    clearTimeout(this.idleTimer);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => this.fail(overBound(path, `took longer than ${BAKE_DEADLINE_MS / 1000} s`)),
        BAKE_DEADLINE_MS,
      );
      this.current = { resolve, reject, path, timer };
      this.worker.postMessage(job);
    });
  }

  private settle(outcome: WorkerOutcome): void {
    const current = this.current;
    this.current = null;
    clearTimeout(current?.timer);
    current?.resolve(outcome);
    this.parkIdle();
  }

  /** Offers the worker to the next bake; ended if none comes within `BAKE_WORKER_IDLE_MS`. */
  private parkIdle(): void {
    if (this.ended) return;
    idle.push(this);
    this.idleTimer = setTimeout(() => this.end(), BAKE_WORKER_IDLE_MS).unref();
  }

  /** The bake in flight fails with `error`; the worker is ended and never reused. */
  private fail(error: Error): void {
    const current = this.current;
    this.current = null;
    clearTimeout(current?.timer);
    this.end();
    current?.reject(error);
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.idleTimer);
    const at = idle.indexOf(this);
    if (at >= 0) idle.splice(at, 1);
    void this.worker.terminate();
  }
}

/**
 * @kepler/config's `deepFreeze`, repeated here so that a bake leaves the config package (and its YAML
 * library, ~8 MB) unloaded on the daemon's main thread.
 */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

function overBound(path: string | undefined, what: string): DaemonError {
  const message = `baking the config ${what} (Kepler's limit per config)`;
  return new DaemonError('CONFIG_INVALID', path ? `${path}: ${message}` : message, {
    issues: [{ file: path ?? '', path: '', message }],
  });
}
