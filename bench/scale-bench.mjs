#!/usr/bin/env node
// Scale benchmark: one config of N trivial services (`sleep infinity`) started and stopped by the real
// daemon, while a second client keeps asking the daemon for its status.
//
//   node bench/scale-bench.mjs [--services 100,1000,5000] [--probe-ms 100] [--cpu-prof DIR]
//
// Per N: the bake (in-process loadConfig), time from `start -d` to every service running (as `daemon status` counts them), daemon RSS
// then, time of the stop request until it returned and every process is gone, and the slowest answer
// to `status` from another connection during start and stop (the first request, which loads and bakes
// the config, is excluded), and the CLI's `ps` (median of 5) and `ps --json` bytes per service. A
// daemon that dies is reported as such (and its services are ended by pid). run.mjs imports scaleRun. The fork+exec floor of the VM (N background `/bin/true`s) is printed beside it.
// --failing F makes F of the N services name a missing command (every start step but the fork).
//
// 2026-12-02, 2 cores, load 4-14 (ms): N=100 all running 2,653 (floor 509), slowest status 108, RSS 68 MB,
// stop 472; N=1,000 26,499 (floor 5,744), 368, 119 MB, stop 3,644; N=5,000 254,890 (floor 49,812),
// 1,381 (before launches were sliced per turn), 180 MB, stop 84,314 (slowest status 451).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { alive, daemonNodeFlags, median, pause, requireBuiltAndRoot, rssMb } from './lib.mjs';

const REPO = new URL('..', import.meta.url).pathname;
const DAEMON = join(REPO, 'packages/daemon/dist/main.js');
const PROTOCOL = join(REPO, 'packages/protocol/dist/index.js');
const CLI = join(REPO, 'packages/cli/dist/main.js');
const { DaemonClient } = await import(PROTOCOL);
const { loadConfig } = await import(join(REPO, 'packages/config/dist/index.js'));
/** Runs of the CLI's `ps` per size; its median is reported. */
const PS_RUNS = 5;
let PROBE_MS = 100;

/** Polls every `intervalMs`: coarse enough that polling a large config does not load the daemon. */
async function until(fn, what, timeoutMs, intervalMs = 500) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await pause(intervalMs);
  }
}

/** One request on a fresh connection (as a CLI does); resolves with its latency in ms. */
async function timedStatus(socket) {
  const t0 = performance.now();
  const c = await DaemonClient.connect(socket, { connectTimeoutMs: 60_000 });
  try {
    return { ms: performance.now() - t0, status: await c.request({ type: 'status' }) };
  } finally {
    c.close();
  }
}

/** Probes `status` every PROBE_MS until stopped; returns the worst latency seen. */
function prober(socket) {
  let running = true;
  let worst = 0;
  let count = 0;
  const done = (async () => {
    while (running) {
      const t0 = performance.now();
      try {
        await timedStatus(socket);
      } catch {
        worst = Math.max(worst, 60_000);
      }
      worst = Math.max(worst, performance.now() - t0);
      count++;
      await pause(PROBE_MS);
    }
  })();
  return async () => {
    running = false;
    await done;
    return { worst, count };
  };
}

function markerPids(marker) {
  const pids = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/environ`, 'latin1').includes(`\0${marker}`)) pids.push(Number(e));
    } catch {
      // gone
    }
  }
  return pids;
}

function forkFloorMs(n) {
  const t0 = performance.now();
  spawnSync('/bin/sh', ['-c', `i=0; while [ $i -lt ${n} ]; do /bin/true & i=$((i+1)); done; wait`]);
  return performance.now() - t0;
}

/**
 * One size of the curve in a fresh daemon: bake (first load), start until all run, the CLI's `ps` and
 * `ps --json` (bytes per service), RSS, stop until every process is gone, and the slowest `status`
 * answer seen by another client meanwhile. Throws with the figures so far in `error.row` when the
 * daemon dies or a step times out; the processes it started are ended by pid either way.
 */
export async function scaleRun(n, { failing = 0, cpuProf, probeMs = 100, timeoutMs = 600_000 } = {}) {
  PROBE_MS = probeMs;
  // 20 ms at 100 services, 500 ms at 5,000: the resolution scales with what is measured.
  const pollMs = Math.min(500, Math.max(20, n / 10));
  const base = mkdtempSync(join(tmpdir(), 'kepler-scale-'));
  const stateDir = join(base, 'state');
  const cfg = join(base, 'kepler.yaml');
  const lines = ['services:'];
  for (let i = 0; i < n - failing; i++) lines.push(`  s${i}:`, '    command: ["sleep", "infinity"]');
  for (let i = n - failing; i < n; i++) lines.push(`  s${i}:`, '    command: ["kepler-no-such-command"]');
  writeFileSync(cfg, `${lines.join('\n')}\n`);
  mkdirSync(stateDir);
  const prof = cpuProf ? [`--cpu-prof`, `--cpu-prof-dir=${cpuProf}`] : [];
  const args = [...prof, ...daemonNodeFlags(DAEMON), DAEMON];
  const daemon = spawn(process.execPath, args, {
    env: { ...process.env, KEPLER_DAEMON_PATH: stateDir, KEPLER_OUTPUT_DIR: `${stateDir}-output` },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const socket = join(stateDir, 'kepler.sock');
  const ref = { path: cfg, env: {} };
  const row = { services: n, forkFloorMs: Math.round(forkFloorMs(n)) };
  try {
    await until(() => timedStatus(socket).catch(() => null), 'the daemon', 15_000);
    const client = await DaemonClient.connect(socket);
    // The bake on its own, in this process (the daemon's start request bakes too, inside startReturnedMs).
    let t0 = performance.now();
    await loadConfig({ path: cfg, env: { ...process.env }, onLuaPrint: () => {} });
    row.bakeMs = Math.round(performance.now() - t0);
    let stopProbe = prober(socket);
    t0 = performance.now();
    await client.request({ type: 'start', config: ref, services: [], mode: 'detach' });
    row.startReturnedMs = Math.round(performance.now() - t0);
    let seen = {};
    await until(
      async () => {
        const { services } = await client.request({ type: 'ps', config: ref });
        seen = {};
        for (const s of services) seen[s.status] = (seen[s.status] ?? 0) + 1;
        return seen.running === n - failing;
      },
      'every service running',
      timeoutMs,
      pollMs,
    ).catch((e) => {
      throw new Error(`${e.message}: ${JSON.stringify(seen)}`);
    });
    row.allRunningMs = Math.round(performance.now() - t0);
    let probe = await stopProbe();
    row.startWorstStatusMs = Math.round(probe.worst);
    row.rssMb = Math.round(rssMb(daemon.pid));
    // The user's view: a fresh CLI process per `ps`, as in the CLI row of run.mjs.
    const cliOpts = {
      env: { ...process.env, KEPLER_DAEMON_PATH: stateDir, NO_COLOR: '1' },
      encoding: 'utf8',
    };
    const psMs = [];
    for (let i = 0; i <= PS_RUNS; i++) {
      const t = performance.now();
      const r = spawnSync(process.execPath, [CLI, 'ps', '-f', cfg], cliOpts);
      if (r.status !== 0) throw new Error(`kepler ps exited ${r.status}: ${r.stderr.trim().slice(0, 200)}`);
      if (i > 0) psMs.push(performance.now() - t);
    }
    row.psMs = Math.round(median(psMs));
    const json = spawnSync(process.execPath, [CLI, 'ps', '--json', '-f', cfg], {
      ...cliOpts,
      maxBuffer: 1 << 30,
    });
    if (json.status !== 0) throw new Error(`kepler ps --json exited ${json.status}`);
    row.psJsonBytesPerService = Math.round(Buffer.byteLength(json.stdout) / n);
    stopProbe = prober(socket);
    t0 = performance.now();
    await client.request({ type: 'stop', config: ref, services: [] });
    row.stopReturnedMs = Math.round(performance.now() - t0);
    const marker = `KEPLER_SERVICE_ID=${readdirSync(join(stateDir, 'configs'))[0].slice(0, 16)}.`;
    await until(() => markerPids(marker).length === 0, 'every process gone', timeoutMs, pollMs);
    row.allGoneMs = Math.round(performance.now() - t0);
    probe = await stopProbe();
    row.stopWorstStatusMs = Math.round(probe.worst);
    client.close();
  } catch (e) {
    // /proc, not the exit event: that may not have been delivered yet (spawnSync blocks the loop).
    const why = alive(daemon.pid) ? '' : 'daemon died: ';
    const error = new Error(why + (e instanceof Error ? e.message : String(e)));
    error.row = row;
    throw error;
  } finally {
    if (daemon.exitCode === null && daemon.signalCode === null) {
      const gone = new Promise((r) => daemon.once('exit', r));
      daemon.kill('SIGTERM');
      await Promise.race([gone, pause(30_000)]);
      if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGKILL');
    }
    // Services the daemon left behind (it died, or a stop timed out) were started by this run: end them.
    try {
      const id = readdirSync(join(stateDir, 'configs'))[0];
      const left = id ? markerPids(`KEPLER_SERVICE_ID=${id.slice(0, 16)}.`) : [];
      for (const pid of left) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
    } catch {
      // no config was loaded
    }
    rmSync(base, { recursive: true, force: true });
  }
  return row;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      services: { type: 'string', default: '100,1000,5000' },
      'probe-ms': { type: 'string', default: '100' },
      'cpu-prof': { type: 'string' },
      /** Of the N services, this many name a missing command: they fail at spawn, without a fork. */
      failing: { type: 'string', default: '0' },
    },
  });
  requireBuiltAndRoot([DAEMON, PROTOCOL, CLI]);
  for (const n of values.services.split(',').map(Number)) {
    const opts = {
      failing: Number(values.failing),
      cpuProf: values['cpu-prof'],
      probeMs: Number(values['probe-ms']),
    };
    console.log(JSON.stringify(await scaleRun(n, opts).catch((e) => ({ ...e.row, error: e.message }))));
  }
}
