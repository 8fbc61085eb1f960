#!/usr/bin/env node
// The daemon's two figures from issue 3, measured on this machine (a script that prints a table, not a
// test):
//   - `kepler ps` round trip with a 10-service config: a fresh CLI process per run, as a user runs it
//     (target: median under 150 ms; `node -e 0` is shown for reference);
//   - the idle daemon's resident memory (VmRSS): just started, and with the 10 services loaded and
//     running (target: under 50 MB).
//
//   node bench/daemon-bench.mjs [--runs 30]
//
// Needs `pnpm build` and root (the daemon runs as root). It starts its own daemon in a temporary
// KEPLER_DAEMON_PATH, and stops it and removes the directory at the end.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  daemonNodeFlags,
  requireBuiltAndRoot,
  rssMb,
  timeProcess as timeProcessIn,
  waitGone,
} from './lib.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'packages/cli/dist/main.js');
const DAEMON = join(ROOT, 'packages/daemon/dist/main.js');
const PS_TARGET_MS = 150;
const RSS_TARGET_MB = 50;
const SERVICES = 10;
/** How long the daemon sits idle before its RSS is read (lets start-up garbage be collected). */
const SETTLE_MS = 3_000;

const { values } = parseArgs({ options: { runs: { type: 'string', default: '30' } } });
const runs = Number(values.runs);

requireBuiltAndRoot([CLI, DAEMON]);

const base = mkdtempSync(join(tmpdir(), 'kepler-bench-'));
const stateDir = join(base, 'state');
const workDir = join(base, 'work');
const env = { ...process.env, KEPLER_DAEMON_PATH: stateDir, NO_COLOR: '1' };
spawnSync('mkdir', ['-p', workDir]);
const services = Array.from(
  { length: SERVICES },
  (_, i) => `  svc${i}:\n    command: ["sleep", "100000"]\n    environment:\n      - INDEX=${i}\n`,
).join('');
writeFileSync(join(workDir, 'kepler.yaml'), `services:\n${services}`);

function cli(args) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: workDir, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`kepler ${args.join(' ')} exited ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Wall-clock ms of `node args` over `runs` runs (after one warm-up). */
const timeProcess = (args) => timeProcessIn(args, { runs, cwd: workDir, env });

async function waitUntil(fn, what, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (fn()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(100);
  }
}

const daemon = spawn(process.execPath, [...daemonNodeFlags(DAEMON), DAEMON], {
  env,
  stdio: ['ignore', 'ignore', 'inherit'],
});
const rows = [];
const memory = [];
try {
  await waitUntil(() => {
    cli(['daemon', 'status']);
    return true;
  }, 'the daemon to answer');
  await delay(SETTLE_MS);
  memory.push(['idle daemon, nothing loaded', rssMb(daemon.pid)]);

  cli(['start', '-d']);
  await waitUntil(
    () => JSON.parse(cli(['ps', '--json'])).filter((s) => s.status === 'running').length === SERVICES,
    'every service to run',
  );
  await delay(SETTLE_MS);
  memory.push([`idle daemon, ${SERVICES} services running`, rssMb(daemon.pid)]);

  rows.push([`kepler ps (${SERVICES} services running)`, timeProcess([CLI, 'ps']), PS_TARGET_MS]);
  rows.push(['kepler ps --json', timeProcess([CLI, 'ps', '--json']), PS_TARGET_MS]);
  rows.push(['kepler ps --all', timeProcess([CLI, 'ps', '--all']), PS_TARGET_MS]);
  rows.push(['kepler daemon status', timeProcess([CLI, 'daemon', 'status']), null]);
  rows.push(['kepler --version (CLI start-up only)', timeProcess([CLI, '--version']), null]);
  rows.push(['node -e 0 (reference)', timeProcess(['-e', '0']), null]);
  memory.push(['daemon after the ps runs', rssMb(daemon.pid)]);
} finally {
  spawnSync(process.execPath, [CLI, 'daemon', 'stop'], { cwd: workDir, env, encoding: 'utf8' });
  if (!(await waitGone(daemon.pid))) daemon.kill('SIGKILL');
  rmSync(base, { recursive: true, force: true });
}

const fmt = (ms) => ms.toFixed(1);
const header = ['scenario', 'runs', 'median ms', 'p90 ms', 'min ms', 'max ms', 'target'];
const table = rows.map(([name, s, target]) => [
  name,
  String(s.runs),
  fmt(s.median),
  fmt(s.p90),
  fmt(s.min),
  fmt(s.max),
  target ? `< ${target} ${s.median < target ? 'ok' : 'OVER'}` : '',
]);
const print = (head, body) => {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => String(row[i]).length)));
  const line = (cells) => cells.map((cell, i) => String(cell).padEnd(widths[i])).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of body) console.log(line(row));
};
console.log(`daemon bench: ${runs} runs each (after 1 warm-up), node ${process.version}`);
print(header, table);
console.log('');
print(
  ['daemon memory', 'VmRSS MB', 'target'],
  memory.map(([name, mb]) => [
    name,
    mb.toFixed(1),
    `< ${RSS_TARGET_MB} ${mb < RSS_TARGET_MB ? 'ok' : 'OVER'}`,
  ]),
);
