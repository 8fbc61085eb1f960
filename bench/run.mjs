#!/usr/bin/env node
// Issue 12's benchmark: Kepler (the built packages), PM2 and supervisord side by side in ONE run, with the
// floors measured in the same run, one table with a target and met/not met per row, and bench/RESULTS.md.
//
//   pnpm bench                         (= node bench/run.mjs; run bench/setup-peers.sh once before)
//   node bench/run.mjs [--runs 20] [--reps 3] [--sizes 10,100,1000] [--full] [--only kepler,pm2,supervisord]
//                      [--trials 3] [--idle-s 10] [--note TEXT] [--out bench/RESULTS.md] [--no-write]
//
// Rows, per system unless said (each system is started, measured, then stopped and cleaned up before
// the next; only processes this run started are ended, by pid):
//   ps         `kepler ps` / `pm2 jlist` / `supervisorctl status` with 10 services, a fresh process per run,
//              run in turn with the floor `node -e 0` (A B A B ..., farm-bench's pairing) --runs times;
//              `kepler --version` the same way
//   start      start 100 `sleep`s until the system reports all running (--reps times, median); Kepler
//              also with `user:` and `limits:`; floor: bash fork+exec of 100 `sleep 0` in the background
//   logs       200,000 lines of 100 bytes from one service, all on disk and checked; floor: `cat` to a file
//   rss        daemon VmRSS idle (nothing loaded, after 2 s) and with 100 services
//   idle cpu   daemon utime+stime over --idle-s seconds with 100 idle services (/proc/<pid>/stat)
//   stop       stop 100 until every pid is gone; survivors counted
//   restart    kill -9 of a service until its replacement runs (median of 10)
//   flood      Kepler only: `seq 1 2000000`, daemon kill -9 mid-flood and restarted (--trials times)
//   scale      Kepler only: one config of each of --sizes services (default 10,100,1000; --full adds
//              5000): bake, start, `ps`, `ps --json` bytes per service, stop, RSS, slowest other client
// A step that fails (a timeout, a daemon that died) is reported in its row; the run goes on.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { floodKillTrial } from './flood-kill-bench.mjs';
import {
  alive,
  cpuMs,
  median,
  pairedTimes,
  pause,
  requireBuiltAndRoot,
  rssMb,
  timeOnce,
  until,
} from './lib.mjs';
import { readResults, sectionOf } from './resultsSections.mjs';
import { scaleRun } from './scale-bench.mjs';
import {
  CLI,
  kepler,
  LINE_BYTES,
  makeLinesFile,
  measureRestart,
  now,
  PM2_DIR,
  pm2,
  startScript,
  supervisord,
  verifyLines,
  watchFile,
} from './systems.mjs';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    reps: { type: 'string', default: '3' },
    services: { type: 'string', default: '100' },
    lines: { type: 'string', default: '200000' },
    kills: { type: 'string', default: '10' },
    trials: { type: 'string', default: '3' },
    sizes: { type: 'string' },
    full: { type: 'boolean', default: false },
    'idle-s': { type: 'string', default: '10' },
    only: { type: 'string', default: 'kepler,pm2,supervisord' },
    note: { type: 'string' },
    out: { type: 'string', default: new URL('RESULTS.md', import.meta.url).pathname },
    'no-write': { type: 'boolean', default: false },
  },
});
const RUNS = Number(values.runs);
const REPS = Number(values.reps);
const N = Number(values.services);
const LINES = Number(values.lines);
const KILLS = Number(values.kills);
const TRIALS = Number(values.trials);
const IDLE_MS = Number(values['idle-s']) * 1000;
const SIZES = (values.sizes ?? (values.full ? '10,100,1000,5000' : '10,100,1000')).split(',').map(Number);
const ONLY = new Set(values.only.split(','));
const PS_SERVICES = 10;
/** How long a daemon sits idle before its RSS is read (start-up garbage collected). */
const SETTLE_MS = 2_000;
/** How long a daemon with N services just started sits before its RSS and idle CPU are read. */
const SETTLE_AFTER_START_MS = 5_000;
const REPO = new URL('..', import.meta.url).pathname;
requireBuiltAndRoot([
  CLI,
  join(REPO, 'packages/daemon/dist/main.js'),
  join(REPO, 'packages/protocol/dist/index.js'),
]);

const log = (msg) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const errText = (e) => (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 160);

/** Samples of every floor, from all the systems' turns: each floor is reported as one median. */
const floors = { node: [], fork: [], cat: [] };
const NODE_FLOOR = { cmd: process.execPath, args: ['-e', '0'] };

/** ms for bash to fork+exec `n` background `sleep 0`s and reap them: what any supervisor must pay. */
function forkFloorMs(n) {
  return timeOnce('bash', ['-c', `for ((i = 0; i < ${n}; i++)); do sleep 0 & done; wait`]).ms;
}

/** lines/s of `cat` copying the lines file to another file. */
function catFloor(linesFile, dir) {
  const out = join(dir, 'cat.out');
  const fd = openSync(out, 'w');
  const r = timeOnce('cat', [linesFile], { stdio: ['ignore', fd, 'ignore'] });
  closeSync(fd);
  rmSync(out, { force: true });
  return LINES / (r.ms / 1000);
}

async function stopAndCount(sys, pids) {
  const t0 = now();
  await sys.stopMany();
  await until(() => pids.every((p) => !alive(p)), 'all stopped', 60_000, 1).catch(() => undefined);
  const ms = now() - t0;
  const survivors = pids.filter(alive).length + (sys.survivors ? sys.survivors().length : 0);
  return { ms, survivors };
}

/** Every row of one system, in one daemon of its own; errors land in `r.errors` by step. */
async function runSystem(sys) {
  const r = { name: sys.name, errors: {} };
  const dir = mkdtempSync(join(os.tmpdir(), `kbench-${sys.name}-`));
  const step = async (name, fn) => {
    log(`${sys.name}: ${name}`);
    try {
      await fn();
    } catch (e) {
      r.errors[name] = errText(e);
      log(`${sys.name}: ${name} failed: ${r.errors[name]}`);
    }
  };
  try {
    await sys.init(dir);
    await pause(SETTLE_MS);
    r.rssIdle = rssMb(sys.daemonPid());
    await step('ps', async () => {
      await sys.startMany(PS_SERVICES);
      try {
        const ps = pairedTimes(sys.psArgv(), NODE_FLOOR, RUNS);
        floors.node.push(...ps.b);
        r.ps = median(ps.a);
        r.psOver = median(ps.diffs);
        if (sys.versionArgv) {
          const v = pairedTimes(sys.versionArgv(), NODE_FLOOR, RUNS);
          floors.node.push(...v.b);
          r.version = median(v.a);
          r.versionOver = median(v.diffs);
        }
      } finally {
        await stopAndCount(sys, await sys.pids());
      }
    });
    await step(`start/stop ${N}`, async () => {
      const starts = [];
      const ratios = [];
      const stops = [];
      r.survivors = 0;
      for (let i = 0; i < REPS; i++) {
        const floor = forkFloorMs(N);
        floors.fork.push(floor);
        const t0 = now();
        await sys.startMany(N);
        starts.push(now() - t0);
        ratios.push(starts.at(-1) / floor);
        if (i === 0) {
          // Settled, as for the idle figure: the start's garbage collected and its bake worker ended
          // (Kepler ends an idle one after 1 s); the same wait for every system.
          await pause(SETTLE_AFTER_START_MS);
          r.rss100 = rssMb(sys.daemonPid());
          const c0 = cpuMs(sys.daemonPid());
          await pause(IDLE_MS);
          r.idleCpuMs = cpuMs(sys.daemonPid()) - c0;
        }
        const stopped = await stopAndCount(sys, await sys.pids());
        stops.push(stopped.ms);
        r.survivors += stopped.survivors;
      }
      r.start = median(starts);
      r.startRatio = median(ratios);
      r.stop = median(stops);
    });
    if (sys.name === 'kepler') {
      await step(`start ${N} with user and limits`, async () => {
        const starts = [];
        const ratios = [];
        for (let i = 0; i < REPS; i++) {
          const floor = forkFloorMs(N);
          floors.fork.push(floor);
          const t0 = now();
          await sys.startMany(N, { privileged: true });
          starts.push(now() - t0);
          ratios.push(starts.at(-1) / floor);
          r.survivors += (await stopAndCount(sys, await sys.pids())).survivors;
        }
        r.startPriv = median(starts);
        r.startPrivRatio = median(ratios);
      });
    }
    await step('restart after kill -9', async () => {
      const stampDir = join(dir, 'stamps');
      mkdirSync(stampDir);
      await sys.startRestartable(KILLS, startScript(dir), stampDir);
      try {
        r.restart = await measureRestart(sys, stampDir, KILLS);
      } finally {
        await sys.stopRestartable();
      }
    });
    await step('log capture', async () => {
      const linesFile = makeLinesFile(dir, LINES);
      for (let i = 0; i < 3; i++) floors.cat.push(catFloor(linesFile, dir));
      const { file, prefix } = await sys.startLogger(linesFile);
      try {
        const seen = await watchFile(file, LINES * (LINE_BYTES + prefix));
        r.logWindowMs = seen.last - seen.first;
        r.logRate = LINES / (r.logWindowMs / 1000);
        r.logLost = verifyLines(file, prefix, LINES);
      } finally {
        await sys.stopLogger();
      }
    });
  } catch (e) {
    r.errors.init = errText(e);
    log(`${sys.name} failed: ${r.errors.init}`);
  } finally {
    await sys.teardown().catch((e) => log(`${sys.name} teardown: ${errText(e)}`));
    rmSync(dir, { recursive: true, force: true });
  }
  return r;
}

// ---- the machine ---------------------------------------------------------------------------------

function machine() {
  const cpu =
    /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? os.cpus()[0]?.model;
  const version = (cmd, args) => {
    const out = spawnSync(cmd, args, { encoding: 'utf8' });
    return out.status === 0 ? out.stdout.trim() : 'not installed';
  };
  let pm2Version = 'not installed';
  try {
    pm2Version = JSON.parse(readFileSync(join(PM2_DIR, 'node_modules/pm2/package.json'), 'utf8')).version;
  } catch {}
  return {
    cpu,
    cores: os.cpus().length,
    memGiB: (os.totalmem() / 2 ** 30).toFixed(0),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    kepler: version(process.execPath, [CLI, '--version']).replace(/^kepler /, ''),
    pm2: pm2Version,
    supervisord: version('supervisord', ['--version']),
  };
}

// ---- main ----------------------------------------------------------------------------------------

const started = new Date();
const loadBefore = os.loadavg();
const info = machine();
log(`machine: ${JSON.stringify(info)}`);
const results = {};
for (const sys of [kepler(), pm2(), supervisord()]) {
  if (!ONLY.has(sys.name)) continue;
  if (sys.available && !sys.available()) {
    results[sys.name] = { name: sys.name, errors: { init: 'not installed: run bench/setup-peers.sh' } };
    continue;
  }
  results[sys.name] = await runSystem(sys);
}

const flood = [];
if (ONLY.has('kepler')) {
  for (let i = 0; i < TRIALS; i++) {
    log(`kepler: flood and kill, trial ${i + 1}`);
    flood.push(await floodKillTrial().catch((e) => ({ error: errText(e) })));
  }
}
const scale = [];
if (ONLY.has('kepler')) {
  for (const n of SIZES) {
    log(`kepler: scale ${n}`);
    scale.push(await scaleRun(n).catch((e) => ({ services: n, ...e.row, error: errText(e) })));
  }
}
const loadAfter = os.loadavg();

// ---- the table -----------------------------------------------------------------------------------

const SYSTEMS = ['kepler', 'pm2', 'supervisord'].filter((s) => ONLY.has(s));
const ok = (v) => typeof v === 'number' && Number.isFinite(v);
const ms = (v) => (ok(v) ? `${Math.round(v).toLocaleString('en-US')} ms` : '-');
const mb = (v) => (ok(v) ? `${v.toFixed(1)} MB` : '-');
const rate = (v) => (ok(v) ? (v >= 1e6 ? `${(v / 1e6).toFixed(2)}M/s` : `${Math.round(v / 1e3)}k/s`) : '-');
const verdict = (cond) => (cond === null || cond === undefined ? 'n/a' : cond ? 'met' : 'NOT met');
const K = results.kepler ?? { errors: {} };
const F = {
  node: median(floors.node),
  fork: median(floors.fork),
  cat: median(floors.cat),
};
/** A system's cell, or the error of the step that should have filled it. */
const cell = (name, stepName, f) => {
  const r = results[name];
  if (!r) return '-';
  const err = r.errors[stepName] ?? r.errors.init;
  return err ? `error: ${err.slice(0, 60)}` : f(r);
};

const floodDone = flood.filter((t) => !t.error);
const floodCell = flood.length
  ? flood
      .map((t) => (t.error ? `error: ${t.error.slice(0, 40)}` : `${t.lost} lost/${t.fragments} frag`))
      .join('; ')
  : '-';

const rows = [
  {
    metric: `\`ps\` round trip, ${PS_SERVICES} services`,
    cells: SYSTEMS.map((s) => cell(s, 'ps', (r) => ms(r.ps))),
    floor: `\`node -e 0\`: ${ms(F.node)}`,
    target: 'Kepler ≤ floor + 40 ms (paired)',
    result: ok(K.psOver) ? `+${Math.round(K.psOver)} ms` : '-',
    met: ok(K.psOver) ? K.psOver <= 40 : null,
  },
  {
    metric: '`kepler --version`',
    cells: SYSTEMS.map((s) => (s === 'kepler' ? cell(s, 'ps', (r) => ms(r.version)) : '')),
    floor: `\`node -e 0\`: ${ms(F.node)}`,
    target: '≤ floor + 20 ms (paired)',
    result: ok(K.versionOver) ? `+${Math.round(K.versionOver)} ms` : '-',
    met: ok(K.versionOver) ? K.versionOver <= 20 : null,
  },
  {
    metric: `start ${N} services until all running`,
    cells: SYSTEMS.map((s) =>
      cell(s, `start/stop ${N}`, (r) => `${ms(r.start)} (${r.startRatio.toFixed(1)}x)`),
    ),
    floor: `bash fork+exec of ${N} \`sleep\`: ${ms(F.fork)}`,
    target: '≤ 1.5x floor and ≤ 0.5x PM2',
    result:
      ok(K.startRatio) && ok(results.pm2?.start)
        ? `${K.startRatio.toFixed(2)}x floor, ${(K.start / results.pm2.start).toFixed(2)}x PM2`
        : ok(K.startRatio)
          ? `${K.startRatio.toFixed(2)}x floor, PM2 not measured`
          : '-',
    met: ok(K.startRatio)
      ? K.startRatio <= 1.5 && (ok(results.pm2?.start) ? K.start <= 0.5 * results.pm2.start : false)
      : null,
  },
  {
    metric: `start ${N} with \`user:\` and \`limits:\``,
    cells: SYSTEMS.map((s) =>
      s === 'kepler'
        ? cell(
            s,
            `start ${N} with user and limits`,
            (r) => `${ms(r.startPriv)} (${r.startPrivRatio.toFixed(1)}x)`,
          )
        : '',
    ),
    floor: `fork+exec: ${ms(F.fork)}`,
    target: '≤ 2x floor',
    result: ok(K.startPrivRatio) ? `${K.startPrivRatio.toFixed(2)}x floor` : '-',
    met: ok(K.startPrivRatio) ? K.startPrivRatio <= 2 : null,
  },
  {
    metric: `log capture, ${(LINES / 1000).toFixed(0)}k lines of ${LINE_BYTES} bytes`,
    cells: SYSTEMS.map((s) =>
      cell(s, 'log capture', (r) => `${rate(r.logRate)}${r.logLost ? ` LOST: ${r.logLost}` : ''}`),
    ),
    floor: `\`cat\` to a file: ${rate(F.cat)}`,
    target: '≥ 1.5x supervisord, 0 lost',
    result:
      ok(K.logRate) && ok(results.supervisord?.logRate)
        ? `${(K.logRate / results.supervisord.logRate).toFixed(2)}x supervisord${K.logLost ? ', lines lost' : ', 0 lost'}`
        : '-',
    met:
      ok(K.logRate) && ok(results.supervisord?.logRate)
        ? K.logRate >= 1.5 * results.supervisord.logRate && !K.logLost
        : null,
  },
  {
    metric: 'daemon RSS idle',
    cells: SYSTEMS.map((s) => cell(s, 'init', (r) => mb(r.rssIdle))),
    floor: '',
    target: '≤ 50 MB',
    result: mb(K.rssIdle),
    met: ok(K.rssIdle) ? K.rssIdle <= 50 : null,
  },
  {
    metric: `daemon RSS with ${N} services`,
    cells: SYSTEMS.map((s) => cell(s, `start/stop ${N}`, (r) => mb(r.rss100))),
    floor: '',
    target: '≤ 55 MB',
    result: mb(K.rss100),
    met: ok(K.rss100) ? K.rss100 <= 55 : null,
  },
  {
    metric: `daemon CPU, ${N} idle services, ${IDLE_MS / 1000} s`,
    cells: SYSTEMS.map((s) => cell(s, `start/stop ${N}`, (r) => ms(r.idleCpuMs))),
    floor: '10 ms (one clock tick)',
    target: 'not measurable: ≤ 10 ms',
    result: ms(K.idleCpuMs),
    met: ok(K.idleCpuMs) ? K.idleCpuMs <= 10 : null,
  },
  {
    metric: `stop ${N}, no survivors`,
    cells: SYSTEMS.map((s) =>
      cell(s, `start/stop ${N}`, (r) => `${ms(r.stop)}${r.survivors ? `, ${r.survivors} SURVIVED` : ''}`),
    ),
    floor: '',
    target: 'no survivors',
    result: ok(K.survivors) ? `${K.survivors} survivors` : '-',
    met: ok(K.survivors) ? K.survivors === 0 : null,
  },
  {
    metric: 'first restart after kill -9',
    cells: SYSTEMS.map((s) => cell(s, 'restart after kill -9', (r) => ms(r.restart))),
    floor: '',
    target: '(none)',
    result: ms(K.restart),
    met: undefined,
  },
  {
    metric: `daemon kill -9 mid-flood (\`seq 1 2000000\`), ${TRIALS} trials`,
    cells: SYSTEMS.map((s) => (s === 'kepler' ? floodCell : '')),
    floor: '',
    target: '0 lost, 0 fragments in every trial',
    result: floodDone.length
      ? `${floodDone.reduce((a, t) => a + t.lost, 0)} lost, ${floodDone.reduce((a, t) => a + t.fragments, 0)} fragments`
      : '-',
    met:
      floodDone.length === TRIALS && TRIALS > 0
        ? floodDone.every((t) => t.lost === 0 && t.fragments === 0)
        : null,
  },
];

// Scale: the curve, then its targets.
const at = (n) => scale.find((s) => s.services === n && !s.error);
const s10 = at(10);
const s100 = at(100);
const s1000 = at(1000);
const worstClient = Math.max(
  ...scale.map((s) => Math.max(s.startWorstStatusMs ?? 0, s.stopWorstStatusMs ?? 0)),
);
const scaleChecks = [
  {
    target: '`ps --json` ≤ 1 KB per service, every size',
    result: scale.map((s) => `${s.services}: ${s.psJsonBytesPerService ?? '-'} B`).join(', '),
    met: scale.some((s) => ok(s.psJsonBytesPerService))
      ? scale.every((s) => ok(s.psJsonBytesPerService) && s.psJsonBytesPerService <= 1024)
      : null,
  },
  {
    target: 'start 1,000 ≤ 10x start 100',
    result: s100 && s1000 ? `${(s1000.allRunningMs / s100.allRunningMs).toFixed(1)}x` : 'not measured',
    met: s100 && s1000 ? s1000.allRunningMs <= 10 * s100.allRunningMs : null,
  },
  {
    target: '`ps` with 1,000 < 2x `ps` with 10',
    result: s10 && s1000 ? `${(s1000.psMs / s10.psMs).toFixed(2)}x` : 'not measured',
    met: s10 && s1000 ? s1000.psMs < 2 * s10.psMs : null,
  },
  {
    target: 'other clients answered within 1 s throughout',
    result: scale.length ? `slowest ${ms(worstClient)}` : '-',
    met: scale.length ? worstClient <= 1000 : null,
  },
  {
    target: 'every size completes (5,000 with `--full`)',
    result: scale.map((s) => `${s.services}: ${s.error ? `FAILED (${s.error})` : 'ok'}`).join(', '),
    met: scale.length ? scale.every((s) => !s.error) : null,
  },
];

const esc = (s) => String(s).replaceAll('|', '\\|');
const mdTable = (head, body) =>
  [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...body.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
const mainTable = mdTable(
  ['metric', ...SYSTEMS, 'floor (same run)', 'target (Kepler)', 'Kepler', 'met?'],
  rows.map((r) => [r.metric, ...r.cells, r.floor, r.target, r.result, verdict(r.met)]),
);
const scaleTable = mdTable(
  [
    'services',
    'bake',
    'start until all running',
    'fork+exec floor',
    '`ps`',
    '`ps --json` per service',
    'stop until all gone',
    'daemon RSS',
    'slowest other client',
    '',
  ],
  scale.map((s) => [
    s.services.toLocaleString('en-US'),
    ms(s.bakeMs),
    ms(s.allRunningMs),
    ms(s.forkFloorMs),
    ms(s.psMs),
    ok(s.psJsonBytesPerService) ? `${s.psJsonBytesPerService} B` : '-',
    ms(s.allGoneMs),
    ok(s.rssMb) ? `${s.rssMb} MB` : '-',
    ms(Math.max(s.startWorstStatusMs ?? Number.NaN, s.stopWorstStatusMs ?? Number.NaN)),
    s.error ? `FAILED: ${s.error}` : '',
  ]),
);
const scaleTargets = mdTable(
  ['scale target', 'measured', 'met?'],
  scaleChecks.map((c) => [c.target, c.result, verdict(c.met)]),
);
const errors = Object.values(results).flatMap((r) =>
  Object.entries(r.errors).map(([stepName, e]) => `- ${r.name}, ${stepName}: ${e}`),
);

console.log(`\n${mainTable}\n\n${scaleTable}\n\n${scaleTargets}\n`);
if (errors.length) console.log(errors.join('\n'));

const fast = Object.values(results).filter((r) => ok(r.logWindowMs) && r.logWindowMs < 50);
const imprecise = fast.length
  ? ` (${fast.map((r) => `${r.name} took ${Math.round(r.logWindowMs)} ms`).join(', ')}: at that length the polling makes the rate imprecise, ±10% or more)`
  : '';

/** The hand-kept explanation of targets not met (bench/NOT-MET.md), appended to RESULTS.md. */
function notMet() {
  try {
    return `\n${readFileSync(new URL('NOT-MET.md', import.meta.url), 'utf8')}`;
  } catch {
    return '';
  }
}

if (!values['no-write']) {
  // bench/proxy-bench.mjs's section, kept from the file this run replaces.
  const kept = sectionOf(readResults(values.out), '## Reverse proxy (issue 15)');
  const proxySection = kept ? `\n${kept}` : '';
  const load = (l) => l.map((x) => x.toFixed(2)).join(' ');
  const md = `# Benchmark results (issue 12)

Written by \`pnpm bench\` (\`node bench/run.mjs\`) on ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC; the
peers come from \`bench/setup-peers.sh\`. All figures are from this one run: medians, with each floor
measured in the same run (see the header of \`bench/run.mjs\` for how each row is measured).
${values.note ? `\n**${values.note}**\n` : ''}
Machine: ${info.cpu}, ${info.cores} cores, ${info.memGiB} GiB, ${info.kernel}; Node ${info.node}; Kepler ${info.kepler},
PM2 ${info.pm2}, supervisord ${info.supervisord}. Load average ${load(loadBefore)} before, ${load(loadAfter)} after.
Options: ${RUNS} paired CLI runs, ${REPS} start/stop reps, ${LINES.toLocaleString('en-US')} log lines, ${KILLS} kills, ${TRIALS} flood trials, idle window ${IDLE_MS / 1000} s.

${mainTable}

Start cells show the ratio to the fork+exec floor measured just before each start. Log capture rates
are lines over the time from the first to the last byte seen in the log file, polled every 1 ms${imprecise}.

## Scale (Kepler only)

${scaleTable}

${scaleTargets}
${errors.length ? `\n## Steps that failed\n\n${errors.join('\n')}\n` : ''}${proxySection}${notMet()}`;
  writeFileSync(values.out, md);
  log(`wrote ${values.out}`);
}
// A peer's client library (PM2's) keeps handles open after disconnecting: end here, everything is stopped.
process.exit(0);
