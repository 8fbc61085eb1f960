#!/usr/bin/env node
// FrameDecoder CPU cost on the hot paths: every CLI request and response, and `kepler logs` reading a
// large log (log batches of ~150 KB arriving in 64 KiB socket reads). Prints the best of --runs, in
// CPU ms per case, for the module given (default: the built protocol package).
//
//   node bench/frame-decoder-bench.mjs [--runs N]
//
// Build first (`pnpm build`). KEPLER_FRAMING_MODULE points at another build's framing.js, to compare
// two versions on the same machine in the same run.
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' } } });
const RUNS = Number(values.runs);
const READ_BYTES = 64 * 1024;

const modulePath =
  process.env.KEPLER_FRAMING_MODULE ?? new URL('../packages/protocol/dist/framing.js', import.meta.url).href;
const { FrameDecoder } = await import(modulePath);

/** `totalBytes` of frames of `frameBytes` each, cut into socket-sized reads. */
function reads(frameBytes, totalBytes) {
  const frames = [];
  for (let n = 0; n < totalBytes; n += frameBytes) {
    const f = Buffer.alloc(4 + frameBytes, 0x61);
    f.writeUInt32BE(frameBytes, 0);
    frames.push(f);
  }
  const all = Buffer.concat(frames);
  const out = [];
  for (let i = 0; i < all.length; i += READ_BYTES) out.push(all.subarray(i, i + READ_BYTES));
  return out;
}

const cases = {
  'requests/responses (200 B frames), 20 MB': reads(200, 20e6),
  'log batches (150 KB frames), 20 MB': reads(150_000, 20e6),
  'large frames (4 MiB), 40 MB': reads(4 * 1024 * 1024, 40e6),
};
for (const [name, chunks] of Object.entries(cases)) {
  let best = Number.POSITIVE_INFINITY;
  for (let run = 0; run < RUNS; run++) {
    const decoder = new FrameDecoder();
    const started = process.cpuUsage();
    for (const chunk of chunks) decoder.push(chunk);
    const used = process.cpuUsage(started);
    best = Math.min(best, (used.user + used.system) / 1000);
  }
  console.log(`${name}: ${best.toFixed(1)} ms CPU (best of ${RUNS})`);
}
