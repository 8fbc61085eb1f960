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
//             rate = lines / (last byte seen - first byte seen), and / (last byte seen - start
//             request)); lines then checked one by one; the daemon's CPU seconds for them
//   rss       daemon RSS (VmRSS) with N services running
//
// Kepler runs from the built packages (build daemon, cli, protocol first). PM2 is looked up in
// PM2_DIR (default /tmp/benchpeers: `cd /tmp/benchpeers && npm i --no-save pm2`, outside the
// workspace); supervisord on PATH (`apt-get install -y supervisor`). A missing peer is reported as such.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { median, rssMb } from './lib.mjs';

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
const LINE_BYTES = 100;
const ONLY = new Set(values.only.split(','));
const REPO = new URL('..', import.meta.url).pathname;
const PM2_DIR = process.env.PM2_DIR ?? '/tmp/benchpeers';

const now = () => performance.timeOrigin + performance.now(); // ms, sub-ms resolution
const pause = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(fn, what, timeoutMs = 60_000, intervalMs = 1) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await pause(intervalMs);
  }
}

function alive(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const st = s.slice(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3);
    return st !== 'Z' && st !== 'X';
  } catch {
    return false;
  }
}

/** User + system CPU seconds of a process so far (/proc/<pid>/stat, clock ticks of 10 ms). */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The log writer's input: LINES lines of exactly LINE_BYTES bytes, numbered. */
function makeLinesFile(dir) {
  const buf = Buffer.alloc(LINES * LINE_BYTES, 'x');
  for (let i = 0; i < LINES; i++) {
    buf.write(String(i).padStart(9, '0'), i * LINE_BYTES, 'latin1');
    buf[i * LINE_BYTES + LINE_BYTES - 1] = 0x0a;
  }
  const path = join(dir, 'lines.txt');
  writeFileSync(path, buf);
  return path;
}

/** Waits until `file` holds `bytes`, polling every ms; returns first/last seen times. */
async function watchFile(file, bytes, timeoutMs = 120_000) {
  let first = null;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let size = 0;
    try {
      size = statSync(file).size;
    } catch {}
    const t = now();
    if (size > 0 && first === null) first = t;
    if (size >= bytes) return { first, last: t };
    if (Date.now() > deadline) throw new Error(`log file ${file} stuck at ${size} of ${bytes} bytes`);
    await pause(1);
  }
}

/** Checks every line 0..LINES-1 is there, in order, once (after stripping `prefixBytes`). */
function verifyLines(file, prefixBytes) {
  const data = readFileSync(file);
  let at = 0;
  let i = 0;
  while (at < data.length) {
    const nl = data.indexOf(0x0a, at);
    if (nl === -1) break;
    const n = Number(data.subarray(at + prefixBytes, at + prefixBytes + 9).toString('latin1'));
    if (n !== i) return `line ${i}: found ${n}`;
    i++;
    at = nl + 1;
  }
  return i === LINES ? null : `${LINES - i} lines missing`;
}

function startScript(dir) {
  const path = join(dir, 'stamp.sh');
  writeFileSync(path, '#!/bin/sh\ndate +%s%N >> "$1"\nexec sleep 100000\n', { mode: 0o755 });
  return path;
}

async function measureRestart(sys, stampDir) {
  const delays = [];
  for (let i = 0; i < KILLS; i++) {
    const name = `r${i}`;
    const file = join(stampDir, `${name}.stamps`);
    await until(
      () => existsSync(file) && readFileSync(file, 'utf8').trim().split('\n').length === 1,
      `${name} started`,
      30_000,
      5,
    );
    const pid = await sys.pidOf(name);
    await pause(50);
    const killedAt = now();
    process.kill(pid, 'SIGKILL');
    const second = await until(
      () => {
        const l = readFileSync(file, 'utf8').trim().split('\n');
        return l.length >= 2 ? l[1] : null;
      },
      `${name} restarted`,
      30_000,
      1,
    );
    delays.push(Number(BigInt(second) / 1000n) / 1000 - killedAt);
  }
  return median(delays);
}

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
    result.restart = await measureRestart(sys, stampDir);
    await sys.stopRestartable();
    // log capture
    const linesFile = makeLinesFile(dir);
    const asked = now();
    const cpuBefore = cpuSeconds(sys.daemonPid());
    const { file, prefix } = await sys.startLogger(linesFile);
    const seen = await watchFile(file, LINES * (LINE_BYTES + prefix));
    // The daemon's CPU time for the whole capture: steadier than rates on a shared machine.
    result.logCpuPerMLines = ((cpuSeconds(sys.daemonPid()) - cpuBefore) * 1e6) / LINES;
    result.logRate = LINES / ((seen.last - seen.first) / 1000);
    // From the start request: a system that answers it only after storing much of the output (supervisord
    // serves its RPC between pipe reads) shows a late first byte, and an "observed" rate too high.
    result.logRateFromStart = LINES / ((seen.last - asked) / 1000);
    result.logLost = verifyLines(file, prefix);
    if (sys.intrinsicLogRate) result.logRateStamped = sys.intrinsicLogRate(file);
    await sys.stopLogger();
  } catch (e) {
    result.error = e instanceof Error ? e.message : String(e);
  } finally {
    await sys.teardown().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

// ---- Kepler --------------------------------------------------------------------------------------

function kepler() {
  let proc;
  let client;
  let stateDir;
  let work;
  let outputDir; // services' output files (tmpfs, as by default), removed with the run
  const configs = {};
  const ref = (path) => ({ path, env: {} });
  const psOf = async (path) => (await client.request({ type: 'ps', config: ref(path) })).services;
  const write = (name, yaml) => {
    const p = join(work, `${name}.kepler.yaml`);
    writeFileSync(p, yaml);
    configs[name] = p;
    return p;
  };
  return {
    name: 'kepler',
    async init(dir) {
      stateDir = join(dir, 'state');
      work = join(dir, 'work');
      mkdirSync(work, { recursive: true });
      outputDir = join(existsSync('/dev/shm') ? '/dev/shm' : dir, `kepler-bench-${process.pid}`);
      // Started the way users start it (the CLI picks the daemon's Node flags).
      const r = spawnSync(
        process.execPath,
        [join(REPO, 'packages/cli/dist/main.js'), 'daemon', 'start', '-d'],
        {
          env: { ...process.env, KEPLER_DAEMON_PATH: stateDir, KEPLER_OUTPUT_DIR: outputDir },
          stdio: ['ignore', 'ignore', 'inherit'],
        },
      );
      if (r.status !== 0) throw new Error(`kepler daemon start -d exited ${r.status}`);
      const { DaemonClient } = await import(join(REPO, 'packages/protocol/dist/index.js'));
      client = await until(
        () => DaemonClient.connect(join(stateDir, 'kepler.sock')).catch(() => null),
        'kepler daemon',
        15_000,
        20,
      );
      proc = (await client.request({ type: 'status' })).pid;
    },
    daemonPid: () => proc,
    async startMany(n) {
      const yaml = `services:\n${Array.from({ length: n }, (_, i) => `  s${i}:\n    command: ["sleep", "100000"]\n`).join('')}`;
      const path = write('many', yaml);
      await client.request({ type: 'start', config: ref(path), services: [], mode: 'detach' });
      await until(async () => (await psOf(path)).every((s) => s.status === 'running'), 'kepler all running');
    },
    async pids() {
      return (await psOf(configs.many)).map((s) => s.pid);
    },
    async stopMany() {
      await client.request({ type: 'stop', config: ref(configs.many), services: [] });
    },
    async startRestartable(k, script, stampDir) {
      const yaml = `services:\n${Array.from(
        { length: k },
        (_, i) =>
          `  r${i}:\n    command: ["${script}", "${join(stampDir, `r${i}.stamps`)}"]\n    restart: always\n`,
      ).join('')}`;
      const path = write('restart', yaml);
      await client.request({ type: 'start', config: ref(path), services: [], mode: 'detach' });
    },
    async pidOf(name) {
      return until(
        async () => (await psOf(configs.restart)).find((s) => s.name === name && s.status === 'running')?.pid,
        name,
        10_000,
      );
    },
    async stopRestartable() {
      await client.request({ type: 'stop', config: ref(configs.restart), services: [] });
    },
    async startLogger(linesFile) {
      const path = write(
        'logger',
        `services:\n  logger:\n    command: ["sh", "-c", "cat ${linesFile}; exec sleep 100000"]\n`,
      );
      await client.request({ type: 'start', config: ref(path), services: [], mode: 'detach' });
      const file = join(stateDir, 'configs', sha256(path), 'logs', 'logger.stdout.log');
      return { file, prefix: 25 };
    },
    intrinsicLogRate(file) {
      const data = readFileSync(file, 'latin1');
      const first = Date.parse(data.slice(0, 24));
      const last = Date.parse(data.slice(data.length - 125, data.length - 101));
      return LINES / (Math.max(1, last - first) / 1000);
    },
    async stopLogger() {
      await client.request({ type: 'stop', config: ref(configs.logger), services: [] });
    },
    async teardown() {
      try {
        await client?.request({ type: 'shutdown' });
      } catch {}
      client?.close();
      if (proc) await until(() => !alive(proc), 'kepler daemon to exit', 30_000, 20);
      rmSync(outputDir, { recursive: true, force: true });
    },
  };
}

import { createHash } from 'node:crypto';

function sha256(s) {
  return createHash('sha256').update(s).digest('hex');
}

// ---- PM2 -----------------------------------------------------------------------------------------

function pm2() {
  let api;
  let home;
  const call = (fn, ...args) =>
    new Promise((res, rej) => api[fn](...args, (err, out) => (err ? rej(err) : res(out))));
  const list = () => call('list');
  let logsDir;
  return {
    name: 'pm2',
    available: () => existsSync(join(PM2_DIR, 'node_modules/pm2/package.json')),
    async init(dir) {
      home = join(dir, 'pm2home');
      logsDir = join(dir, 'pm2logs');
      mkdirSync(logsDir);
      process.env.PM2_HOME = home;
      const require = createRequire(join(PM2_DIR, 'index.js'));
      api = require('pm2');
      await call('connect');
    },
    daemonPid: () => Number(readFileSync(join(home, 'pm2.pid'), 'utf8')),
    async startMany(n) {
      const apps = Array.from({ length: n }, (_, i) => ({
        name: `s${i}`,
        script: 'sleep',
        args: '100000',
        interpreter: 'none',
        out_file: '/dev/null',
        error_file: '/dev/null',
      }));
      await call('start', { apps });
      await until(
        async () => {
          const l = await list();
          return l.length === n && l.every((p) => p.pm2_env.status === 'online' && p.pid > 0);
        },
        'pm2 all online',
        60_000,
        2,
      );
    },
    async pids() {
      return (await list()).map((p) => p.pid);
    },
    async stopMany() {
      await call('stop', 'all');
      await call('delete', 'all');
    },
    async startRestartable(k, script, stampDir) {
      const apps = Array.from({ length: k }, (_, i) => ({
        name: `r${i}`,
        script,
        args: [join(stampDir, `r${i}.stamps`)],
        interpreter: 'none',
        autorestart: true,
        out_file: '/dev/null',
        error_file: '/dev/null',
      }));
      await call('start', { apps });
    },
    async pidOf(name) {
      return until(
        async () => (await list()).find((p) => p.name === name && p.pm2_env.status === 'online')?.pid,
        name,
        10_000,
      );
    },
    async stopRestartable() {
      await call('delete', 'all');
    },
    async startLogger(linesFile) {
      const file = join(logsDir, 'logger.out.log');
      await call('start', {
        apps: [
          {
            name: 'logger',
            script: 'sh',
            args: ['-c', `cat ${linesFile}; exec sleep 100000`],
            interpreter: 'none',
            out_file: file,
            error_file: '/dev/null',
            merge_logs: true,
          },
        ],
      });
      return { file, prefix: 0 };
    },
    async stopLogger() {
      await call('delete', 'all');
    },
    async teardown() {
      try {
        await call('killDaemon');
      } catch {}
      api?.disconnect();
    },
  };
}

// ---- supervisord ---------------------------------------------------------------------------------

function supervisord() {
  let proc;
  let sock;
  let conf;
  let dir;
  let programs = '';
  const rpc = (method, params = []) =>
    new Promise((res, rej) => {
      const body = `<?xml version="1.0"?><methodCall><methodName>${method}</methodName><params>${params
        .map(
          (p) =>
            `<param><value>${typeof p === 'boolean' ? `<boolean>${p ? 1 : 0}</boolean>` : `<string>${p}</string>`}</value></param>`,
        )
        .join('')}</params></methodCall>`;
      const req = http.request(
        {
          socketPath: sock,
          path: '/RPC2',
          method: 'POST',
          headers: { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(body) },
        },
        (resp) => {
          let out = '';
          resp.on('data', (d) => {
            out += d;
          });
          resp.on('end', () => (out.includes('<fault>') ? rej(new Error(out)) : res(out)));
        },
      );
      req.on('error', rej);
      req.end(body);
    });
  const infos = async () => {
    const xml = await rpc('supervisor.getAllProcessInfo');
    return [...xml.matchAll(/<struct>([\s\S]*?)<\/struct>/g)].map((m) => {
      const get = (k) => new RegExp(`<name>${k}</name>\\s*<value><(?:string|int)>([^<]*)<`).exec(m[1])?.[1];
      return { name: get('name'), state: get('statename'), pid: Number(get('pid')) };
    });
  };
  let loaded = [];
  /** Replaces the programs: like `supervisorctl update` (old groups stopped already). */
  const reload = async () => {
    writeFileSync(conf, baseConf() + programs);
    await rpc('supervisor.reloadConfig');
    for (const name of loaded) await rpc('supervisor.removeProcessGroup', [name]).catch(() => undefined);
    loaded = [...programs.matchAll(/\[program:([^\]]+)\]/g)].map((m) => m[1]);
    for (const name of loaded) await rpc('supervisor.addProcessGroup', [name]).catch(() => undefined);
  };
  const baseConf = () => `[unix_http_server]
file=${sock}
[supervisord]
logfile=${join(dir, 'supervisord.log')}
pidfile=${join(dir, 'supervisord.pid')}
childlogdir=${dir}
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
`;
  return {
    name: 'supervisord',
    available: () => spawnSync('sh', ['-c', 'command -v supervisord']).status === 0,
    async init(d) {
      dir = d;
      sock = join(dir, 'sv.sock');
      conf = join(dir, 'supervisord.conf');
      writeFileSync(conf, baseConf());
      proc = spawn('supervisord', ['-n', '-c', conf], { stdio: 'ignore' });
      await until(() => rpc('supervisor.getState').catch(() => null), 'supervisord', 15_000, 20);
    },
    daemonPid: () => proc.pid,
    async startMany(n) {
      programs = Array.from(
        { length: n },
        (_, i) =>
          `[program:s${i}]\ncommand=sleep 100000\nautostart=false\nstdout_logfile=NONE\nstderr_logfile=NONE\n`,
      ).join('');
      await reload();
      await rpc('supervisor.startAllProcesses', [false]);
      await until(
        async () => {
          const l = await infos();
          return l.length === n && l.every((p) => p.state === 'RUNNING');
        },
        'supervisord all running',
        60_000,
        5,
      );
    },
    async pids() {
      return (await infos()).map((p) => p.pid);
    },
    async stopMany() {
      await rpc('supervisor.stopAllProcesses', [true]);
    },
    async startRestartable(k, script, stampDir) {
      programs = Array.from(
        { length: k },
        (_, i) =>
          `[program:r${i}]\ncommand=${script} ${join(stampDir, `r${i}.stamps`)}\nautorestart=true\nautostart=false\nstdout_logfile=NONE\nstderr_logfile=NONE\n`,
      ).join('');
      await reload();
      await rpc('supervisor.startAllProcesses', [false]);
    },
    async pidOf(name) {
      return until(
        async () => (await infos()).find((p) => p.name === name && p.pid > 0 && p.state === 'RUNNING')?.pid,
        name,
        10_000,
        5,
      );
    },
    async stopRestartable() {
      await rpc('supervisor.stopAllProcesses', [true]);
    },
    async startLogger(linesFile) {
      const file = join(dir, 'logger.out.log');
      programs = `[program:logger]\ncommand=sh -c "cat ${linesFile}; exec sleep 100000"\nautostart=false\nstdout_logfile=${file}\nstdout_logfile_maxbytes=0\nstderr_logfile=NONE\n`;
      await reload();
      await rpc('supervisor.startProcess', ['logger', false]);
      return { file, prefix: 0 };
    },
    async stopLogger() {
      await rpc('supervisor.stopAllProcesses', [true]);
    },
    async teardown() {
      if (proc && proc.exitCode === null) {
        const gone = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await gone;
      }
    },
  };
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
  [
    `${LINES} log lines (start to all stored)`,
    '> 1.0 M/s',
    (r) => (r.logRateFromStart ? `${(r.logRateFromStart / 1e6).toFixed(2)} M/s` : '-'),
  ],
  ['daemon CPU per 1M log lines', '', (r) => (r.logCpuPerMLines ? `${r.logCpuPerMLines.toFixed(2)} s` : '-')],
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
