#!/usr/bin/env node
// Supervision benchmark: Kepler side by side with PM2 and supervisord (when installed), one table.
//
//   node bench/supervision-bench.mjs [--services 100] [--kills 10] [--lines 200000] [--only kepler,pm2,supervisord]
//
// Measures, per system, with its default settings:
//   restart   kill -9 of a service -> its replacement has started (the service writes `date +%s%N` at
//             start; median over --kills services, each killed once so no backoff is involved)
//   start     start N services -> all reported running by the system's own status API
//   stop      stop N services -> the stop call returned and every pid is gone
//   logs      200,000 lines of 100 bytes from one service -> all on disk (file polled every 1 ms;
//             rate = lines / (last byte seen - first byte seen)); lines then checked one by one
//   rss       daemon RSS (VmRSS) with N services running
//
// Kepler runs from the built packages (build daemon, cli, protocol first). PM2 is looked up in
// PM2_DIR (default bench/.peers) and supervisord on PATH: bench/setup-peers.sh installs both. A
// missing peer is reported as such. bench/run.mjs runs these rows and more, with floors and targets.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { alive, pause, rssMb, until } from './lib.mjs';
import {
  kepler,
  LINE_BYTES,
  makeLinesFile,
  measureRestart,
  now,
  pm2,
  startScript,
  supervisord,
  verifyLines,
  watchFile,
} from './systems.mjs';

const { values } = parseArgs({
  options: {
    services: { type: 'string', default: '100' },
    kills: { type: 'string', default: '10' },
    lines: { type: 'string', default: '200000' },
    only: { type: 'string', default: 'kepler,pm2,supervisord' },
  },
});
const N = Number(values.services);
const KILLS = Number(values.kills);
const LINES = Number(values.lines);
const ONLY = new Set(values.only.split(','));

async function runSystem(sys) {
  const result = { name: sys.name };
  const dir = mkdtempSync(join(tmpdir(), `svbench-${sys.name}-`));
  try {
    await sys.init(dir);
    // start + rss + stop
    let t0 = now();
    await sys.startMany(N);
    result.start = now() - t0;
    await pause(500);
    result.rss = rssMb(sys.daemonPid());
    const pids = await sys.pids();
    t0 = now();
    await sys.stopMany();
    await until(() => pids.every((p) => !alive(p)), 'all stopped', 60_000, 1);
    result.stop = now() - t0;
    // restart after kill -9
    const stampDir = join(dir, 'stamps');
    mkdirSync(stampDir);
    await sys.startRestartable(KILLS, startScript(dir), stampDir);
    result.restart = await measureRestart(sys, stampDir, KILLS);
    await sys.stopRestartable();
    // log capture
    const linesFile = makeLinesFile(dir, LINES);
    const { file, prefix } = await sys.startLogger(linesFile);
    const seen = await watchFile(file, LINES * (LINE_BYTES + prefix));
    result.logRate = LINES / ((seen.last - seen.first) / 1000);
    result.logLost = verifyLines(file, prefix, LINES);
    if (sys.intrinsicLogRate) result.logRateStamped = sys.intrinsicLogRate(file, LINES);
    await sys.stopLogger();
  } catch (e) {
    result.error = e instanceof Error ? e.message : String(e);
  } finally {
    await sys.teardown().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

// ---- main ----------------------------------------------------------------------------------------

const systems = [kepler(), pm2(), supervisord()].filter((s) => ONLY.has(s.name));
const results = [];
for (const sys of systems) {
  if (sys.available && !sys.available()) {
    results.push({ name: sys.name, error: 'not installed' });
    continue;
  }
  process.stderr.write(`running ${sys.name}...\n`);
  results.push(await runSystem(sys));
}

const fmt = (v, unit, digits = 0) =>
  typeof v === 'number' && Number.isFinite(v) ? `${v.toFixed(digits)} ${unit}` : '-';
const rows = [
  ['restart after kill -9 (median)', '< 20 ms', (r) => fmt(r.restart, 'ms', 1)],
  [`start ${N} until running`, '< 500 ms', (r) => fmt(r.start, 'ms')],
  [`stop ${N}`, '< 500 ms', (r) => fmt(r.stop, 'ms')],
  [
    `${LINES} log lines (observed)`,
    '> 1.0 M/s',
    (r) => (r.logRate ? `${(r.logRate / 1e6).toFixed(2)} M/s${r.logLost ? ` LOST: ${r.logLost}` : ''}` : '-'),
  ],
  [`daemon RSS, ${N} services`, '< 60 MB', (r) => fmt(r.rss, 'MB', 1)],
];
const header = ['', 'target', ...results.map((r) => r.name)];
const table = [
  header,
  ...rows.map(([label, target, f]) => [
    label,
    target,
    ...results.map((r) => (r.error ? r.error.slice(0, 40) : f(r))),
  ]),
];
const widths = header.map((_, c) => Math.max(...table.map((row) => String(row[c]).length)));
for (const row of table) console.log(row.map((cell, c) => String(cell).padEnd(widths[c])).join('  '));
for (const r of results) {
  if (r.logRateStamped)
    console.log(`${r.name}: log rate from stored timestamps ${(r.logRateStamped / 1e6).toFixed(2)} M/s`);
  if (r.error) console.log(`${r.name}: ${r.error}`);
}
