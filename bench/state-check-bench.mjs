#!/usr/bin/env node
// What issue 9 (defects 5 and 6) added to hot paths, measured in-process on the built packages (a script
// that prints a table, not a test):
//   - the daemon checking its own `ps` result with the client's validator (done twice: per config in the
//     ps handler, and once more on the whole result before sending), against the msgpack encoding it
//     already did, for 10 to 5000 services;
//   - the look-up for live processes of services whose record was lost, done once per config load (and
//     only when state.json could not be trusted): with cgroups (one cgroup.procs read per service) and
//     without (one /proc pass for the whole config), against what one /proc pass per spawn would cost.
//
//   node bench/state-check-bench.mjs [--runs 200]
//
// Needs `pnpm build`; the cgroup row needs root and a writable cgroup2 hierarchy.
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stats } from './lib.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { runs: { type: 'string', default: '200' } } });
const runs = Number(values.runs);
const { parseResult, encodeMessage } = await import(join(ROOT, 'packages/protocol/dist/index.js'));
const platform = await import(join(ROOT, 'packages/daemon/dist/platform/index.js'));

/** Median ms of fn over `n` runs after a warm-up of a tenth as many. */
function time(fn, n = runs) {
  for (let i = 0; i < Math.ceil(n / 10); i++) fn();
  const samples = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    fn();
    samples.push(performance.now() - t);
  }
  return stats(samples).median;
}

const row = (i) => ({
  config: '/srv/app/kepler.yaml',
  name: `svc${i}`,
  status: 'running',
  pid: 1000 + i,
  exitCode: null,
  signal: null,
  restarts: 0,
  startedAt: '2026-12-02T05:00:00.000Z',
  stoppedAt: null,
  health: null,
  healthFailures: 0,
  lastHealthOutput: null,
  reason: null,
});

console.log('ps result: the added checks vs the encoding the daemon already does');
console.log('services  check x2 (ms)  encode (ms)  ratio');
const sizes = [10, 100, 1000, 5000];
// A warm-up pass over every size first: the first size measured would otherwise pay for the JIT.
for (const n of sizes) parseResult('ps', { services: Array.from({ length: n }, (_, i) => row(i)) });
for (const n of sizes) {
  const result = { services: Array.from({ length: n }, (_, i) => row(i)) };
  const check = 2 * time(() => parseResult('ps', result));
  const encode = time(() => encodeMessage({ kind: 'response', id: 1, ok: true, result }));
  console.log(
    `${String(n).padStart(8)}  ${check.toFixed(3).padStart(13)}  ${encode.toFixed(3).padStart(11)}  ${(check / encode).toFixed(2).padStart(5)}`,
  );
}

const procs = readdirSync('/proc').filter((n) => /^\d+$/.test(n)).length;
const markers = Array.from({ length: 100 }, (_, i) => `KEPLER_SERVICE_ID=0123456789abcdef.svc${i}`);
console.log(`\nlooking for untracked processes (${procs} processes on the host)`);
if (platform.cgroupsAvailable()) {
  console.log(
    `cgroups, 100 services, once per config load: ${time(() => platform.findServiceProcesses(markers), 20).toFixed(2)} ms`,
  );
}
platform.setCgroupsEnabled(false);
const sweep100 = time(() => platform.findServiceProcesses(markers), 20);
const sweep1 = time(() => platform.findServiceProcesses(markers.slice(0, 1)), 20);
console.log(`no cgroups, 100 services, one /proc pass per config load: ${sweep100.toFixed(2)} ms`);
console.log(
  `(one /proc pass per spawn instead: ${sweep1.toFixed(2)} ms each, ${(100 * sweep1).toFixed(0)} ms for 100 spawns)`,
);
