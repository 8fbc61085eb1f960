// The systems the side-by-side benchmarks drive (Kepler, PM2, supervisord), each behind one adapter with
// the same methods, and the measurements they share: start N, stop N, restart after kill -9, log capture.
// Used by supervision-bench.mjs and run.mjs.
//
// Kepler runs from the built packages. PM2 is looked up in PM2_DIR (default bench/.peers, where
// bench/setup-peers.sh installs it); supervisord on PATH (also installed by setup-peers.sh).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { alive, median, pause, pidsWithEnv, until } from './lib.mjs';

export const LINE_BYTES = 100;
const REPO = new URL('..', import.meta.url).pathname;
export const CLI = join(REPO, 'packages/cli/dist/main.js');
export const PM2_DIR = process.env.PM2_DIR ?? join(REPO, 'bench/.peers');
const PM2_BIN = join(PM2_DIR, 'node_modules/pm2/bin/pm2');

/** Wall clock in ms with sub-ms resolution, comparable with `date +%s%N` from a service. */
export const now = () => performance.timeOrigin + performance.now();

/** The log writer's input: `lines` lines of exactly LINE_BYTES bytes, numbered. */
export function makeLinesFile(dir, lines) {
  const LINES = lines;
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
export async function watchFile(file, bytes, timeoutMs = 120_000) {
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

/** Checks every line 0..lines-1 is there, in order, once (after stripping `prefixBytes`); null when so. */
export function verifyLines(file, prefixBytes, lines) {
  const LINES = lines;
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

export function startScript(dir) {
  const path = join(dir, 'stamp.sh');
  writeFileSync(path, '#!/bin/sh\ndate +%s%N >> "$1"\nexec sleep 100000\n', { mode: 0o755 });
  return path;
}

/** Median ms from kill -9 of a service to its replacement's first instruction, over `kills` services. */
export async function measureRestart(sys, stampDir, kills) {
  const delays = [];
  for (let i = 0; i < kills; i++) {
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

// ---- Kepler --------------------------------------------------------------------------------------

export function kepler() {
  let proc;
  let client;
  let stateDir;
  let work;
  let outputDir; // the services' output files (a tmpfs, as by default), removed with the run
  const configs = {};
  const cliEnv = () => ({ ...process.env, KEPLER_DAEMON_PATH: stateDir, NO_COLOR: '1' });
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
      outputDir = join(existsSync('/dev/shm') ? '/dev/shm' : dir, `kepler-bench-${process.pid}`);
      mkdirSync(work, { recursive: true });
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
    /**
     * Starts `n` `sleep`s and resolves once all run. `privileged` gives each `user: nobody` and
     * `limits:` (the extra privilege-dropping and rlimit steps of a start).
     */
    async startMany(n, { privileged = false } = {}) {
      // working_dir /: nobody cannot enter the bench's 0700 temp dir, and a start refuses a working_dir
      // its user cannot enter (as systemd's WorkingDirectory=).
      const extra = privileged
        ? '    user: nobody\n    working_dir: /\n    limits: { max_fds: 4096, cpu_time: 3600 }\n'
        : '';
      const yaml = `services:\n${Array.from({ length: n }, (_, i) => `  s${i}:\n    command: ["sleep", "100000"]\n${extra}`).join('')}`;
      const path = write(`many-${n}${privileged ? '-priv' : ''}`, yaml);
      configs.current = path;
      await client.request({ type: 'start', config: ref(path), services: [], mode: 'detach' });
      await until(async () => (await psOf(path)).every((s) => s.status === 'running'), 'kepler all running');
    },
    async pids() {
      return (await psOf(configs.current)).map((s) => s.pid);
    },
    async stopMany() {
      await client.request({ type: 'stop', config: ref(configs.current), services: [] });
    },
    /** The user's `ps` for the config started last: a fresh CLI process. */
    psArgv: () => ({
      cmd: process.execPath,
      args: [CLI, 'ps', '-f', configs.current],
      opts: { env: cliEnv() },
    }),
    versionArgv: () => ({ cmd: process.execPath, args: [CLI, '--version'], opts: { env: cliEnv() } }),
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
    intrinsicLogRate(file, LINES) {
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
      if (proc)
        await until(() => !alive(proc), 'kepler daemon to exit', 30_000, 20).catch(() => killPid(proc));
      // Anything of ours still running (a stop that left a survivor) goes, by pid.
      for (const path of Object.values(configs)) for (const pid of servicePids(path)) killPid(pid);
      if (outputDir) rmSync(outputDir, { recursive: true, force: true });
    },
    /** Pids still running for the configs this adapter started: survivors after a stop. */
    survivors: () => Object.values(configs).flatMap(servicePids),
  };
}

function sha256(s) {
  return createHash('sha256').update(s).digest('hex');
}

/** Processes the daemon started for the config at `path`: they carry its id in KEPLER_SERVICE_ID. */
export function servicePids(path) {
  return pidsWithEnv(`KEPLER_SERVICE_ID=${sha256(path).slice(0, 16)}.`);
}

/** SIGKILL to one pid the benchmark started (directly or through a system under test). */
export function killPid(pid) {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

// ---- PM2 -----------------------------------------------------------------------------------------

export function pm2() {
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
    psArgv: () => ({
      cmd: process.execPath,
      args: [PM2_BIN, 'jlist'],
      opts: { env: { ...process.env, PM2_HOME: home } },
    }),
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
      let pid = Number.NaN;
      try {
        pid = Number(readFileSync(join(home, 'pm2.pid'), 'utf8'));
      } catch {}
      try {
        await call('killDaemon');
      } catch {}
      api?.disconnect();
      if (pid > 0) await until(() => !alive(pid), 'pm2 daemon to exit', 15_000, 20).catch(() => killPid(pid));
    },
  };
}

// ---- supervisord ---------------------------------------------------------------------------------

export function supervisord() {
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
[supervisorctl]
serverurl=unix://${sock}
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
    psArgv: () => ({ cmd: 'supervisorctl', args: ['-c', conf, 'status'] }),
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
