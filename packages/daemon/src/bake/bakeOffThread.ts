/**
 * Baking a config without blocking the daemon: the whole pipeline runs in a worker thread, so other
 * clients are answered while a big config (5,000 services: seconds) bakes, and a config that gets past
 * the pipeline's own bounds (see @kepler/config's `bounds.ts`) costs at most `BAKE_HEAP_MB` and
 * `BAKE_DEADLINE_MS`, never the daemon.
 */
import { Worker } from 'node:worker_threads';
import type { BakedConfig, ConfigErrorCode, ConfigIssue } from '@kepler/config';
import { DaemonError } from '../errors.js';

/** Wall-clock limit of one bake, worker start-up included (a 10,000-service config bakes in ~5 s). */
export const BAKE_DEADLINE_MS = 30_000;
/** V8 old-generation heap limit of one bake's worker (a 10,000-service bake peaks near 150 MB). */
export const BAKE_HEAP_MB = 512;
/** Bakes running at once; more wait their turn, so many clients cannot multiply `BAKE_HEAP_MB`. */
export const MAX_CONCURRENT_BAKES = 2;

/** What the worker is asked to bake (`workerData`). */
export interface BakeJob {
  readonly path: string;
  readonly env: Readonly<Record<string, string>>;
}

/** What the worker posts back: the baked config, the user's mistakes, or a bug's stack. */
export type BakeOutcome =
  | { readonly ok: true; readonly baked: BakedConfig }
  | {
      readonly ok: false;
      readonly code: ConfigErrorCode;
      readonly message: string;
      readonly issues: readonly ConfigIssue[];
    }
  | { readonly ok: false; readonly bug: string };

let running = 0;
const waiting: (() => void)[] = [];

/**
 * Bakes `job.path` with the CLI's environment `job.env` in a worker thread and returns the result
 * deep-frozen. A config's problems become a `DaemonError` with the config's code and issues; a bake
 * over the deadline or the heap cap becomes `CONFIG_INVALID` naming the bound.
 */
export async function bakeOffThread(job: BakeJob): Promise<BakedConfig> {
  if (running >= MAX_CONCURRENT_BAKES) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    const outcome = await runWorker(job);
    if (outcome.ok) {
      const { deepFreeze } = await import('@kepler/config');
      return deepFreeze(outcome.baked);
    }
    if ('bug' in outcome) throw new Error(`baking ${job.path} failed: ${outcome.bug}`);
    throw new DaemonError(outcome.code, outcome.message, { issues: outcome.issues });
  } finally {
    running--;
    waiting.shift()?.();
  }
}

function runWorker(job: BakeJob): Promise<BakeOutcome> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./bakeWorker.js', import.meta.url), {
      workerData: job,
      resourceLimits: { maxOldGenerationSizeMb: BAKE_HEAP_MB },
    });
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
      // Ends Lua workers and anything else the bake left behind; the outcome is already in hand.
      void worker.terminate();
    };
    const timer = setTimeout(
      () => settle(() => reject(overBound(job, `took longer than ${BAKE_DEADLINE_MS / 1000} s`))),
      BAKE_DEADLINE_MS,
    );
    worker.once('message', (outcome: BakeOutcome) => settle(() => resolve(outcome)));
    worker.once('error', (error: Error & { code?: string }) =>
      settle(() =>
        reject(
          error.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? overBound(job, `needed more than ${BAKE_HEAP_MB} MB of memory`)
            : error,
        ),
      ),
    );
    worker.once('exit', (code) =>
      settle(() => reject(new Error(`the bake worker for ${job.path} exited (${code}) without a result`))),
    );
  });
}

function overBound(job: BakeJob, what: string): DaemonError {
  const message = `${job.path}: baking the config ${what} (Kepler's limit per config)`;
  return new DaemonError('CONFIG_INVALID', message, {
    issues: [{ file: job.path, path: '', message: `baking the config ${what} (Kepler's limit per config)` }],
  });
}
