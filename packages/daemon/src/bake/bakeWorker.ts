/**
 * Worker-thread entry of `bakeOffThread`: bakes configs (read, parse, Lua, normalise, validate, bake)
 * one message at a time and posts each outcome (and parses an earlier Kepler's YAML snapshot). Runs off the daemon's event loop, under the heap cap
 * and per-bake deadline the parent enforces; a baked config crosses back by structured clone (plain
 * data, frozen again there). The worker lives on between bakes so each does not pay its start-up.
 */
import { parentPort } from 'node:worker_threads';
import { ConfigError, loadConfig, renderBakedConfig } from '@kepler/config';
import { parse as parseYaml } from 'yaml';
import type { BakeJob, BakeOutcome, ParseOutcome, WorkerJob } from './bakeOffThread.js';
import { recordSources } from './bakeSources.js';

async function bake(job: BakeJob): Promise<BakeOutcome> {
  try {
    const luaFiles: string[] = [];
    const baked = await loadConfig({
      path: job.path,
      env: job.env,
      overlays: job.overlays ?? [],
      onLuaFileRead: (p) => luaFiles.push(p),
    });
    // Hashed here, right after the bake: what the snapshot was baked from (see bakeSources.ts).
    const sources = recordSources([
      baked.sourcePath,
      ...(baked.overlays ?? []),
      ...luaFiles,
      ...baked.envFiles,
    ]);
    // Rendered here too: for a big config it takes seconds, which the event loop must not spend.
    return { ok: true, baked, snapshotText: renderBakedConfig(baked, 'json'), sources };
  } catch (error) {
    return error instanceof ConfigError
      ? { ok: false, code: error.code, message: error.message, issues: error.issues }
      : { ok: false, bug: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
}

function parse(text: string): ParseOutcome {
  try {
    return { ok: true, data: parseYaml(text, { maxAliasCount: 0 }) };
  } catch (error) {
    return { ok: false, bug: error instanceof Error ? error.message : String(error) };
  }
}

parentPort?.on('message', (job: WorkerJob) => {
  if (job.kind === 'parseYaml') parentPort?.postMessage(parse(job.text));
  else void bake(job).then((outcome) => parentPort?.postMessage(outcome));
});
