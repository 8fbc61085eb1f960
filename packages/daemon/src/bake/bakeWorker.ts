/**
 * Worker-thread entry of `bakeOffThread`: bakes one config (read, parse, Lua, normalise, validate,
 * bake) and posts the outcome. Runs off the daemon's event loop, under the heap cap and deadline the
 * parent sets; the baked config crosses back by structured clone (plain data, frozen again there).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { bakeConfig, ConfigError } from '@kepler/config';
import type { BakeJob, BakeOutcome } from './bakeOffThread.js';

const job = workerData as BakeJob;
let outcome: BakeOutcome;
try {
  outcome = { ok: true, baked: await bakeConfig({ path: job.path, env: job.env }) };
} catch (error) {
  outcome =
    error instanceof ConfigError
      ? { ok: false, code: error.code, message: error.message, issues: error.issues }
      : { ok: false, bug: error instanceof Error ? (error.stack ?? error.message) : String(error) };
}
parentPort?.postMessage(outcome);
