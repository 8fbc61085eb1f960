#!/usr/bin/env node
// What metrics cost the daemon (issue 16): its CPU (utime + stime from /proc/<pid>/stat) over a window
// with 100 idle services (a) while nobody watches, where sampling must cost nothing, and (b) while
// `kepler top` watches (one read a second of every service's cgroup or /proc tree). A script that
// prints a table, not a test.
//
//   node bench/metrics-bench.mjs [--services 100] [--window-s 10]
//
// Needs `pnpm build` and root. It starts its own daemon in a temporary KEPLER_DAEMON_PATH, and stops
// it and removes the directory at the end. One clock tick is 10 ms: below it, "not measurable".
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuMs, daemonNodeFlags, pause, requireBuiltAndRoot, until, waitGone } from './lib.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'packages/cli/dist/main.js');
const DAEMON = join(ROOT, 'packages/daemon/dist/main.js');
/** The start's garbage collected and its bake worker ended before the first window. */
const SETTLE_MS = 3_000;

const { values } = parseArgs({
  options: { services: { type: 'string', default: '100' }, 'window-s': { type: 'string', default: '10' } },
});
const SERVICES = Number(values.services);
const WINDOW_MS = Number(values['window-s']) * 1000;

requireBuiltAndRoot([CLI, DAEMON]);

const base = mkdtempSync(join(tmpdir(), 'kepler-metrics-bench-'));
const stateDir = join(base, 'state');
const workDir = join(base, 'work');
mkdirSync(workDir, { recursive: true });
const env = {
  ...process.env,
  KEPLER_DAEMON_PATH: stateDir,
  KEPLER_OUTPUT_DIR: join(base, 'out'),
  NO_COLOR: '1',
};
const services = Array.from({ length: SERVICES }, (_, i) => `  s${i}:\n    command: ["sleep", "100000"]\n`);
writeFileSync(join(workDir, 'kepler.yaml'), `services:\n${services.join('')}`);

function cli(args) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: workDir, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`kepler ${args.join(' ')} exited ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
}

async function cpuOver(pid, ms) {
  const c0 = cpuMs(pid);
  await pause(ms);
  return cpuMs(pid) - c0;
}

const daemon = spawn(process.execPath, [...daemonNodeFlags(DAEMON), DAEMON], {
  env,
  stdio: ['ignore', 'ignore', 'inherit'],
});
const rows = [];
try {
  await until(
    () => spawnSync(process.execPath, [CLI, 'daemon', 'status'], { env }).status === 0,
    'the daemon',
    15_000,
    100,
  );
  cli(['start', '-d']);
  await until(
    () => JSON.parse(cli(['ps', '--json'])).filter((s) => s.status === 'running').length === SERVICES,
    'every service to run',
    60_000,
    200,
  );
  await pause(SETTLE_MS);
  rows.push(['nobody watching', await cpuOver(daemon.pid, WINDOW_MS)]);
  // `top` on a pseudo-terminal (util-linux script), as a user runs it: it watches until killed.
  const top = spawn('script', ['-qfc', `${process.execPath} ${CLI} top`, '/dev/null'], {
    cwd: workDir,
    env,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  await pause(SETTLE_MS);
  rows.push(['kepler top watching', await cpuOver(daemon.pid, WINDOW_MS)]);
  top.stdin.write('\x03');
  await waitGone(top.pid, 10_000);
  await pause(SETTLE_MS);
  rows.push(['nobody watching again', await cpuOver(daemon.pid, WINDOW_MS)]);
} finally {
  spawnSync(process.execPath, [CLI, 'daemon', 'stop'], { cwd: workDir, env, encoding: 'utf8' });
  if (!(await waitGone(daemon.pid))) daemon.kill('SIGKILL');
  rmSync(base, { recursive: true, force: true });
}

console.log(
  `Daemon CPU with ${SERVICES} idle services, ${WINDOW_MS / 1000} s windows (10 ms = one clock tick)\n`,
);
console.log('| window | daemon CPU |');
console.log('|---|---|');
for (const [what, ms] of rows) console.log(`| ${what} | ${ms} ms |`);
