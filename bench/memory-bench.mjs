#!/usr/bin/env node
// The daemon's memory and idle CPU (issue 12: RSS at most 50 MB idle and 55 MB with 100 services; no
// measurable CPU with 100 idle services), with where the memory goes.
//
//   node bench/memory-bench.mjs [--services 100] [--daemon path/to/main.js ...] [--node-flag F ...]
//
// Per daemon build (several --daemon compare builds in one run; default: this checkout's), a fresh
// daemon in a temporary KEPLER_DAEMON_PATH, started as `node FLAGS main.js`, FLAGS being the --node-flag
// options or else those the daemon's `#!` line names (as `kepler daemon start` passes them):
//   idle          3 s after it answers, nothing loaded
//   N running     3 s after `start -d --wait` of N `sleep` services returned (first start: includes the bake)
//   N idle CPU    utime+stime over the next 10 s (ms)
//   after stop    3 s after `stop` of the N services
// Each RSS is split into anonymous memory (heaps, stacks) and file pages (mostly the node binary's code
// and read-only data it touched). A bare `node -e` with a timer is printed as the floor.
//
// Needs `pnpm build` and root (the daemon runs as root).
//
// 2026-12-02, 2 cores shared with other work, node 20.20.2, --max-semi-space-size=1 (bare node 39.4 MB):
// main before issue 12's memory work: idle 72.0, 100 running 77.6 / 70.4 (+3 s / +13 s), after stop
// 71.9 MB, idle CPU 70 ms; after it: idle 50.0, 100 running 61.8 / 58.7, after stop 60.1 MB, 30 ms.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { daemonNodeFlags, requireBuiltAndRoot, waitGone } from './lib.mjs';

const { values } = parseArgs({
  options: {
    services: { type: 'string', default: '100' },
    daemon: { type: 'string', multiple: true },
    'node-flag': { type: 'string', multiple: true },
  },
});
const REPO = new URL('..', import.meta.url).pathname;
const CLI = join(REPO, 'packages/cli/dist/main.js');
const DAEMONS = (values.daemon ?? [join(REPO, 'packages/daemon/dist/main.js')]).map((d) => resolve(d));
const N = Number(values.services);
const SETTLE_MS = 3000;
const CPU_WINDOW_MS = 10_000;
requireBuiltAndRoot([CLI, ...DAEMONS]);

const pause = (ms) => new Promise((r) => setTimeout(r, ms));
const nodeFlags = (daemonMain) => values['node-flag'] ?? daemonNodeFlags(daemonMain);

/** VmRSS, anonymous and file-backed resident MB, and thread count of `pid`. */
function memory(pid) {
  const kb = (text, key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const rss = kb(rollup, 'Rss') / 1024;
  const anon = kb(rollup, 'Anonymous') / 1024;
  return { rss, anon, file: rss - anon, threads: Number(/^Threads:\s+(\d+)/m.exec(status)?.[1]) };
}

/** CPU time (user + system) of `pid` in ms. */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

async function measureDaemon(daemonMain) {
  const base = mkdtempSync(join(tmpdir(), 'kepler-memory-'));
  const stateDir = join(base, 'state');
  const work = join(base, 'work');
  mkdirSync(work);
  const env = { ...process.env, KEPLER_DAEMON_PATH: stateDir, NO_COLOR: '1' };
  const cli = (...args) => {
    const r = spawnSync(process.execPath, [CLI, ...args], { cwd: work, env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`kepler ${args.join(' ')} exited ${r.status}: ${r.stderr.trim()}`);
  };
  const services = Array.from({ length: N }, (_, i) => `  s${i}:\n    command: ["sleep", "100000"]\n`);
  writeFileSync(join(work, 'kepler.yaml'), `services:\n${services.join('')}`);
  const daemon = spawn(process.execPath, [...nodeFlags(daemonMain), daemonMain], {
    env,
    stdio: 'ignore',
  });
  const rows = [];
  try {
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (spawnSync(process.execPath, [CLI, 'daemon', 'status'], { cwd: work, env }).status === 0) break;
      if (Date.now() > deadline) throw new Error('the daemon did not answer');
      await pause(50);
    }
    await pause(SETTLE_MS);
    rows.push(['idle, nothing loaded', memory(daemon.pid)]);
    const started = performance.now();
    cli('start', '-d', '--wait');
    const startMs = performance.now() - started;
    await pause(SETTLE_MS);
    rows.push([`${N} running`, memory(daemon.pid)]);
    const cpu0 = cpuMs(daemon.pid);
    await pause(CPU_WINDOW_MS);
    const idleCpu = cpuMs(daemon.pid) - cpu0;
    rows.push([`${N} running, ${CPU_WINDOW_MS / 1000} s later`, memory(daemon.pid)]);
    cli('stop');
    await pause(SETTLE_MS);
    rows.push(['after stop', memory(daemon.pid)]);
    return { rows, startMs, idleCpu };
  } finally {
    spawnSync(process.execPath, [CLI, 'daemon', 'stop'], { cwd: work, env });
    if (!(await waitGone(daemon.pid))) daemon.kill('SIGKILL');
    rmSync(base, { recursive: true, force: true });
  }
}

const fmt = (m) =>
  `${m.rss.toFixed(1).padStart(6)} MB  (anon ${m.anon.toFixed(1).padStart(5)}, file ${m.file.toFixed(1).padStart(5)}, ${m.threads} threads)`;

const floor = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
await pause(1000);
console.log(`daemon memory bench: node ${process.version}, ${N} services`);
console.log(`${'bare `node -e` with a timer'.padEnd(34)} ${fmt(memory(floor.pid))}`);
floor.kill();
for (const main of DAEMONS) {
  const r = await measureDaemon(main);
  console.log(`\nnode ${nodeFlags(main).join(' ')} ${main}`);
  for (const [what, m] of r.rows) console.log(`${what.padEnd(34)} ${fmt(m)}`);
  console.log(`${'first start -d --wait'.padEnd(34)} ${r.startMs.toFixed(0)} ms`);
  console.log(
    `${`CPU over ${CPU_WINDOW_MS / 1000} s, ${N} idle services`.padEnd(34)} ${r.idleCpu.toFixed(0)} ms`,
  );
}
