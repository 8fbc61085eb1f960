#!/usr/bin/env node
// Issue 15's proxy benchmark: one backend (a small Node HTTP server run by Kepler as a service with
// `hostname: bench.localhost`, `port: auto`), loaded by wrk at 50 connections three ways in the SAME
// run: direct to the backend's port, through Kepler's reverse proxy, and through nginx (Debian's, one
// worker, upstream keep-alive, the same X-Forwarded-* headers) proxying the same backend. Each round
// runs the three in turn (A B C A B C ...); the table shows the median of the rounds.
//
//   node bench/proxy-bench.mjs [--rounds 3] [--seconds 10] [--connections 50] [--note TEXT]
//                              [--out bench/RESULTS.md] [--no-write]
//
// Needs root (the daemon), `pnpm build`, and nginx + wrk (bench/setup-peers.sh). Targets: Kepler's
// proxy at least 0.5x nginx's requests/s, and its p99 added over direct within 2 ms of nginx's.
// Only the processes this run started are ended, by pid.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cpuMs, median, pause, requireBuiltAndRoot, until } from './lib.mjs';
import { readResults, withSection } from './resultsSections.mjs';
import { CLI } from './systems.mjs';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    note: { type: 'string' },
    out: { type: 'string', default: new URL('./RESULTS.md', import.meta.url).pathname },
    'no-write': { type: 'boolean', default: false },
  },
});
const ROUNDS = Number(values.rounds);
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
const HOST = 'bench.localhost';

requireBuiltAndRoot([CLI]);
for (const tool of ['nginx', 'wrk']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
    console.error(`${tool} is not installed: run bench/setup-peers.sh first`);
    process.exit(1);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** One wrk run: requests/s and the p50/p99 latency in ms (from `--latency`). */
function wrk(port, seconds) {
  const r = spawnSync(
    'wrk',
    [
      '-t2',
      `-c${CONNECTIONS}`,
      `-d${seconds}s`,
      '--latency',
      '-H',
      `Host: ${HOST}`,
      `http://127.0.0.1:${port}/`,
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`wrk exited ${r.status}: ${r.stderr}`);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1]);
  const pct = (p) => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)\\b`, 'm').exec(r.stdout);
    if (!m) return Number.NaN;
    return Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2]];
  };
  const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(r.stdout)?.[0] ?? null;
  return { rps, p50: pct(50), p99: pct(99), errors };
}

const BACKEND = `import { createServer } from 'node:http';
const body = Buffer.from('hello from the backend\\n');
createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
  res.end(body);
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

function nginxConf(dir, listen, backend) {
  return `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx.error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream backend { server 127.0.0.1:${backend}; keepalive 64; }
  server {
    listen 127.0.0.1:${listen};
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Host $host;
      proxy_set_header X-Forwarded-Proto $scheme;
    }
  }
}
`;
}

const dir = mkdtempSync(join(os.tmpdir(), 'kepler-proxy-bench-'));
const stateDir = join(dir, 'state');
const env = {
  ...process.env,
  KEPLER_DAEMON_PATH: stateDir,
  KEPLER_OUTPUT_DIR: join(dir, 'output'),
  NO_COLOR: '1',
};
const cli = (args) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`kepler ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
};

let nginx = null;
const loadBefore = os.loadavg();
const results = { direct: [], kepler: [], nginx: [] };
try {
  const proxyPort = await freePort();
  cli(['daemon', 'start', '-d', '--proxy', `127.0.0.1:${proxyPort}`]);
  const work = join(dir, 'work');
  mkdirSync(work);
  writeFileSync(join(work, 'backend.mjs'), BACKEND);
  const config = join(work, 'kepler.yaml');
  writeFileSync(
    config,
    `services:\n  backend:\n    command: ["${process.execPath}", "backend.mjs"]\n    hostname: ${HOST}\n    healthcheck: {http: /, interval: 1s}\n`,
  );
  cli(['start', '-d', '--wait', '--timeout', '30s', '-f', config]);
  const backendPort = JSON.parse(cli(['ps', '--json', '-f', config]))[0].port;

  const nginxPort = await freePort();
  for (const sub of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, sub));
  writeFileSync(join(dir, 'nginx.conf'), nginxConf(dir, nginxPort, backendPort));
  nginx = spawn('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: 'ignore' });
  await until(
    async () => (await fetchOk(nginxPort)) && (await fetchOk(proxyPort)),
    'nginx and the proxy',
    15_000,
    50,
  );

  const targets = { direct: backendPort, kepler: proxyPort, nginx: nginxPort };
  // CPU time per request of each path's proxy (the daemon: its proxy thread, as the main thread idles;
  // nginx: master and workers) and of the backend: a measure the machine's other load does not skew.
  const daemonPid = JSON.parse(cli(['daemon', 'status', '--json'])).pid;
  const backendPid = JSON.parse(cli(['ps', '--json', '-f', config]))[0].pid;
  const nginxPids = () => [nginx.pid, ...childrenOf(nginx.pid)];
  const proxyPids = { direct: () => [], kepler: () => [daemonPid], nginx: nginxPids };
  const cpuOf = (pids) => pids.reduce((sum, pid) => sum + cpuMs(pid), 0);
  for (const port of Object.values(targets)) wrk(port, 2); // warm-up: JIT, keep-alive pools
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, port] of Object.entries(targets)) {
      const pids = proxyPids[name]();
      const before = { proxy: cpuOf(pids), backend: cpuMs(backendPid) };
      const r = wrk(port, SECONDS);
      const requests = r.rps * SECONDS;
      r.proxyUs = ((cpuOf(pids) - before.proxy) * 1000) / requests;
      r.backendUs = ((cpuMs(backendPid) - before.backend) * 1000) / requests;
      results[name].push(r);
      console.error(
        `round ${round + 1} ${name}: ${Math.round(r.rps)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms${r.errors ? ` (${r.errors})` : ''}`,
      );
      await pause(500);
    }
  }
} finally {
  if (nginx?.pid) {
    try {
      process.kill(nginx.pid, 'SIGQUIT');
    } catch {}
  }
  try {
    cli(['daemon', 'stop']);
  } catch (e) {
    console.error(String(e));
  }
  rmSync(dir, { recursive: true, force: true });
}

/** Pids whose parent is `pid` (nginx's workers). */
function childrenOf(pid) {
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(name));
    } catch {}
  }
  return out;
}

/** Whether a GET with Host: bench.localhost answers 200 (fetch() would not send that Host). */
function fetchOk(port) {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/', headers: { host: HOST } }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
  });
}

const summary = Object.fromEntries(
  Object.entries(results).map(([name, runs]) => [
    name,
    {
      rps: median(runs.map((r) => r.rps)),
      p50: median(runs.map((r) => r.p50)),
      p99: median(runs.map((r) => r.p99)),
      proxyUs: median(runs.map((r) => r.proxyUs)),
      backendUs: median(runs.map((r) => r.backendUs)),
    },
  ]),
);
const { direct, kepler, nginx: ngx } = summary;
const ratio = kepler.rps / ngx.rps;
const keplerAdded = kepler.p99 - direct.p99;
const nginxAdded = ngx.p99 - direct.p99;
const fmt = (n, d = 2) => n.toFixed(d);
const num = (n) => Math.round(n).toLocaleString('en-US');
const lines = [
  '',
  `## Reverse proxy (issue 15)`,
  '',
  `Written by \`node bench/proxy-bench.mjs\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC. One backend (a Node`,
  `HTTP server answering 23 bytes, run by Kepler with \`hostname: ${HOST}\`, \`port: auto\`); wrk, 2 threads, ${CONNECTIONS}`,
  `connections, ${SECONDS} s per run, ${ROUNDS} rounds of direct / Kepler / nginx in turn after a 2 s warm-up of each; medians of the`,
  `rounds. nginx ${spawnSync('nginx', ['-v'], { encoding: 'utf8' }).stderr.trim().replace('nginx version: ', '')}: one worker, upstream keep-alive, the same X-Forwarded-* headers.`,
  `Machine: ${os.cpus()[0]?.model ?? '?'}, ${os.cpus().length} cores; Node ${process.version}; load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')} before, ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} after.${values.note ? ` ${values.note}` : ''}`,
  '',
  '| path | requests/s | p50 | p99 | p99 added over direct | proxy CPU per request | backend CPU per request |',
  '|---|---|---|---|---|---|---|',
  `| direct to the backend | ${num(direct.rps)} | ${fmt(direct.p50)} ms | ${fmt(direct.p99)} ms | | | ${fmt(direct.backendUs, 0)} µs |`,
  `| Kepler's proxy | ${num(kepler.rps)} | ${fmt(kepler.p50)} ms | ${fmt(kepler.p99)} ms | ${fmt(keplerAdded)} ms | ${fmt(kepler.proxyUs, 0)} µs | ${fmt(kepler.backendUs, 0)} µs |`,
  `| nginx | ${num(ngx.rps)} | ${fmt(ngx.p50)} ms | ${fmt(ngx.p99)} ms | ${fmt(nginxAdded)} ms | ${fmt(ngx.proxyUs, 0)} µs | ${fmt(ngx.backendUs, 0)} µs |`,
  '',
  '| target | measured | met? |',
  '|---|---|---|',
  `| Kepler's throughput ≥ 0.5x nginx's | ${fmt(ratio)}x | ${ratio >= 0.5 ? 'met' : 'NOT met'} |`,
  `| Kepler's p99 added ≤ nginx's + 2 ms | ${fmt(keplerAdded)} ms vs ${fmt(nginxAdded)} ms + 2 ms | ${keplerAdded <= nginxAdded + 2 ? 'met' : 'NOT met'} |`,
  '',
  `Per round (requests/s): ${Object.entries(results)
    .map(([name, runs]) => `${name} ${runs.map((r) => num(r.rps)).join(' / ')}`)
    .join('; ')}.`,
  '',
];
const text = lines.join('\n');
process.stdout.write(`${text}\n`);
if (!values['no-write']) {
  // Its own section replaced in place (run.mjs keeps it when it rewrites the file).
  const heading = '## Reverse proxy (issue 15)';
  writeFileSync(values.out, withSection(readResults(values.out), heading, text, '## Targets not met'));
}
