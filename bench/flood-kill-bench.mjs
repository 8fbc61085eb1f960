#!/usr/bin/env node
// No line lost when the daemon is killed (issue 12): a service prints `seq 1 <lines>` as fast as it can,
// the daemon gets kill -9 mid-flood and is started again; once the service has ended, its log file is
// read back and every number checked. Kepler only.
//
//   node bench/flood-kill-bench.mjs [--trials 3] [--lines 2000000] [--kill-after-bytes 2000000]
//
// Per trial: lines lost (numbers missing, counted as contiguous runs) and fragments (a stored line that
// is not the next whole number: the tail or head of a line cut in two, or a duplicate). Needs `pnpm build`
// and root. Every process it started (daemon and service) is ended by pid at the end of a trial.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { alive, pause, requireBuiltAndRoot, until } from './lib.mjs';
import { CLI, killPid, servicePids } from './systems.mjs';

const REPO = new URL('..', import.meta.url).pathname;
const PROTOCOL = join(REPO, 'packages/protocol/dist/index.js');
const TIMESTAMP = /^\d{4}-\d\d-\d\dT[^ ]* /;
const sha256 = (s) => createHash('sha256').update(s).digest('hex');

/** Counts what `seq 1 total` lost on its way into `file`: {lines, lost, runs, fragments}. */
export function countLoss(file, total) {
  const text = readFileSync(file, 'latin1');
  let expected = 1;
  let lost = 0;
  let runs = 0;
  let fragments = 0;
  let lines = 0;
  for (let at = 0; at < text.length; ) {
    let nl = text.indexOf('\n', at);
    if (nl === -1) nl = text.length;
    const line = text.slice(at, nl).replace(TIMESTAMP, '');
    at = nl + 1;
    lines++;
    const v = /^\d+$/.test(line) ? Number(line) : Number.NaN;
    if (v === expected) {
      expected++;
    } else if (v > expected && v <= total) {
      lost += v - expected;
      runs++;
      expected = v + 1;
    } else {
      fragments++;
    }
  }
  if (expected <= total) {
    lost += total - expected + 1;
    runs++;
  }
  return { lines, lost, runs, fragments };
}

function daemonStart(env) {
  const r = spawnSync(process.execPath, [CLI, 'daemon', 'start', '-d'], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`kepler daemon start -d exited ${r.status}: ${r.stderr.trim()}`);
}

/** One flood-and-kill trial in a fresh daemon; resolves with countLoss's figures plus where it was killed. */
export async function floodKillTrial({ lines = 2_000_000, killAfterBytes = 2_000_000 } = {}) {
  const { DaemonClient } = await import(PROTOCOL);
  const base = mkdtempSync(join(tmpdir(), 'kepler-flood-'));
  const stateDir = join(base, 'state');
  const work = join(base, 'work');
  mkdirSync(work, { recursive: true });
  const env = { ...process.env, KEPLER_DAEMON_PATH: stateDir, KEPLER_OUTPUT_DIR: `${stateDir}-output` };
  const socket = join(stateDir, 'kepler.sock');
  const cfg = join(work, 'kepler.yaml');
  writeFileSync(cfg, `services:\n  flood:\n    command: ["seq", "1", "${lines}"]\n`);
  const ref = { path: cfg, env: {} };
  const connect = () =>
    until(() => DaemonClient.connect(socket).catch(() => null), 'kepler daemon', 15_000, 20);
  const daemons = [];
  let client;
  try {
    daemonStart(env);
    client = await connect();
    daemons.push((await client.request({ type: 'status' })).pid);
    await client.request({ type: 'start', config: ref, services: [], mode: 'detach' });
    const logFile = join(stateDir, 'configs', sha256(cfg), 'logs', 'flood.stdout.log');
    await until(
      () => {
        try {
          return statSync(logFile).size >= killAfterBytes;
        } catch {
          return false;
        }
      },
      `${killAfterBytes} bytes of flood output`,
      30_000,
      1,
    );
    const killedAtBytes = statSync(logFile).size;
    process.kill(daemons[0], 'SIGKILL');
    client.close();
    await until(() => !alive(daemons[0]), 'the killed daemon to go', 10_000, 5);
    daemonStart(env);
    client = await connect();
    daemons.push((await client.request({ type: 'status' })).pid);
    // The service ends by itself once seq is done; then the file stops growing.
    let last = -1;
    let stableSince = 0;
    await until(
      async () => {
        const [svc] = (await client.request({ type: 'ps', config: ref })).services;
        const size = statSync(logFile).size;
        if (size !== last) {
          last = size;
          stableSince = Date.now();
        }
        return svc && svc.status !== 'running' && svc.status !== 'starting' && Date.now() - stableSince > 500;
      },
      'the flood to end',
      120_000,
      50,
    );
    return { killedAtBytes, ...countLoss(logFile, lines) };
  } finally {
    try {
      await client?.request({ type: 'stop', config: ref, services: [] });
      await client?.request({ type: 'shutdown' });
    } catch {}
    client?.close();
    for (const pid of daemons) {
      await until(() => !alive(pid), 'daemon exit', 10_000, 20).catch(() => killPid(pid));
    }
    for (const pid of servicePids(cfg)) killPid(pid);
    await pause(50);
    rmSync(base, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      trials: { type: 'string', default: '3' },
      lines: { type: 'string', default: '2000000' },
      'kill-after-bytes': { type: 'string', default: '2000000' },
    },
  });
  requireBuiltAndRoot([CLI, PROTOCOL]);
  for (let i = 0; i < Number(values.trials); i++) {
    const r = await floodKillTrial({
      lines: Number(values.lines),
      killAfterBytes: Number(values['kill-after-bytes']),
    });
    console.log(JSON.stringify({ trial: i + 1, ...r }));
  }
}
