#!/usr/bin/env node
// The orchestration figure from issue 5 (a script that prints a table, not a test):
//   a 3-level chain of 30 services (10 per level); every service of a level depends on every service of
//   the level before with `condition: service_healthy`; health checks every 0.2 s. Each service has a
//   known own start delay: it creates its ready file D ms after it spawns, and its check passes once the
//   file exists. `kepler start -d --wait` must complete within 1.5 s of the sum of the levels' delays
//   (the rest is Kepler's overhead: spawns, hooks-free launches, check scheduling, event round trips).
//
//   node bench/chain-bench.mjs [--runs 5] [--delays 300,500,700]
//
// Needs `pnpm build` and root (the daemon runs as root). It starts its own daemon in a temporary
// KEPLER_DAEMON_PATH, stops it and removes the directory at the end.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { daemonNodeFlags, median, requireBuiltAndRoot } from './lib.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'packages/cli/dist/main.js');
const DAEMON = join(ROOT, 'packages/daemon/dist/main.js');
const PER_LEVEL = 10;
const HEALTH_INTERVAL = '200ms';
/** Allowed overhead over the sum of the levels' own start delays. */
const OVERHEAD_TARGET_MS = 1_500;

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, delays: { type: 'string', default: '300,500,700' } },
});
const runs = Number(values.runs);
const delaysMs = values.delays.split(',').map(Number);
if (delaysMs.length !== 3 || delaysMs.some((x) => !Number.isFinite(x) || x < 0)) {
  console.error('--delays takes three millisecond values, e.g. 300,500,700');
  process.exit(1);
}
requireBuiltAndRoot([CLI, DAEMON]);

const base = mkdtempSync(join(tmpdir(), 'kepler-chain-bench-'));
const stateDir = join(base, 'state');
const env = { ...process.env, KEPLER_DAEMON_PATH: stateDir, NO_COLOR: '1' };

/** The chain config. Each run uses its own directory (a fresh config: no state, no ready files). */
function chainYaml() {
  const lines = ['services:'];
  for (let level = 0; level < 3; level++) {
    const seconds = (delaysMs[level] / 1000).toFixed(3);
    for (let i = 0; i < PER_LEVEL; i++) {
      const name = `l${level}s${i}`;
      lines.push(
        `  ${name}:`,
        `    command: ["sh", "-c", "rm -f ready-${name}; sleep ${seconds}; touch ready-${name}; exec sleep 100000"]`,
        '    healthcheck:',
        `      test: ["test", "-f", "ready-${name}"]`,
        `      interval: ${HEALTH_INTERVAL}`,
        '      retries: 1000',
      );
      if (level > 0) {
        lines.push('    depends_on:');
        for (let j = 0; j < PER_LEVEL; j++) {
          lines.push(`      l${level - 1}s${j}:`, '        condition: service_healthy');
        }
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

function cli(args, cwd) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`kepler ${args.join(' ')} exited ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
}

const daemon = spawn(process.execPath, [...daemonNodeFlags(DAEMON), DAEMON], {
  env,
  stdio: ['ignore', 'ignore', 'inherit'],
});
try {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (spawnSync(process.execPath, [CLI, 'daemon', 'status'], { env }).status === 0) break;
    if (Date.now() > deadline) throw new Error('the daemon did not answer within 15 s');
    await delay(100);
  }
  const sum = delaysMs.reduce((a, b) => a + b, 0);
  const times = [];
  for (let run = 0; run < runs; run++) {
    const dir = join(base, `run${run}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'kepler.yaml'), chainYaml());
    // Load (bake) the config first: the figure is orchestration, not config parsing. `stop` loads a
    // config without running anything (`ps` only reads: it never loads one).
    cli(['stop'], dir);
    const t0 = performance.now();
    cli(['start', '-d', '--wait'], dir);
    const ms = performance.now() - t0;
    times.push(ms);
    // Check the claim behind the figure: everything is healthy at return time.
    const ps = JSON.parse(cli(['ps', '--json'], dir));
    const notHealthy = ps.filter((s) => s.status !== 'healthy').map((s) => `${s.name}=${s.status}`);
    if (notHealthy.length) throw new Error(`start --wait returned before: ${notHealthy.join(', ')}`);
    cli(['stop'], dir);
    console.log(`run ${run + 1}: ${ms.toFixed(0)} ms (overhead ${(ms - sum).toFixed(0)} ms)`);
  }
  const med = median(times);
  const overhead = med - sum;
  console.log('');
  console.log(
    `services               ${PER_LEVEL * 3} (3 levels x ${PER_LEVEL}, service_healthy, interval ${HEALTH_INTERVAL})`,
  );
  console.log(`own start delays       ${delaysMs.join(' + ')} = ${sum} ms`);
  console.log(
    `start -d --wait median ${med.toFixed(0)} ms over ${runs} runs (min ${Math.min(...times).toFixed(0)}, max ${Math.max(...times).toFixed(0)})`,
  );
  console.log(
    `overhead median        ${overhead.toFixed(0)} ms (target under ${OVERHEAD_TARGET_MS} ms): ${overhead <= OVERHEAD_TARGET_MS ? 'OK' : 'OVER'}`,
  );
  process.exitCode = overhead <= OVERHEAD_TARGET_MS ? 0 : 1;
} finally {
  // Not spawnSync: `daemon stop` waits for the daemon's pid to go, and only our event loop reaps it.
  const exited = new Promise((r) => (daemon.exitCode !== null ? r() : daemon.once('exit', r)));
  const stopper = spawn(process.execPath, [CLI, 'daemon', 'stop'], { env, stdio: 'ignore' });
  await Promise.all([exited, new Promise((r) => stopper.once('exit', r))]);
  rmSync(base, { recursive: true, force: true });
}
