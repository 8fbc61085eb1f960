#!/usr/bin/env node
// Log capture throughput: 200,000 lines of 100 bytes through one LogStore sink, for buffer_size 0 and
// 16384, fed three ways: in-process 64 KiB chunks (the capture code alone), through a real pipe from a
// child process (how hooks' output is read), and from an output file a child appends to (how a
// service's stdout is stored: LogStore.capture with the platform's output file, indexed as it grows;
// absent in builds before output files). Checks that every line is on disk.
//
//   node bench/log-capture-bench.mjs [--lines N] [--runs N]
//
// Imports the built daemon (packages/daemon/dist); build it first with
// `cd packages/daemon && npx tsc -p tsconfig.build.json`. KEPLER_LOGS_MODULE overrides the module path.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { lines: { type: 'string', default: '200000' }, runs: { type: 'string', default: '3' } },
});
const LINES = Number(values.lines);
const RUNS = Number(values.runs);
const LINE_BYTES = 100; // including the '\n'
const CHUNK_BYTES = 64 * 1024;
const PREFIX_BYTES = 25;

const modulePath =
  process.env.KEPLER_LOGS_MODULE ?? new URL('../packages/daemon/dist/logs/index.js', import.meta.url).href;
const { LogStore } = await import(modulePath);
const platform = await import(new URL('../platform/index.js', modulePath).href).catch(() => ({}));

function settings(bufferSize) {
  return {
    maxSizeBytes: null,
    bufferSize,
    timestamp: false,
    store: { stdout: true, stderr: true },
    retention: { onStart: 'retain', onStop: 'clear', onRestart: 'retain', onExit: 'retain' },
  };
}

function makeData() {
  const buf = Buffer.alloc(LINES * LINE_BYTES, 'x');
  for (let i = 0; i < LINES; i++) {
    const at = i * LINE_BYTES;
    buf.write(String(i).padStart(8, '0'), at, 'latin1');
    buf[at + LINE_BYTES - 1] = 0x0a;
  }
  return buf;
}

function verify(dir) {
  const file = join(dir, 'bench.stdout.log');
  const size = statSync(file).size;
  const expected = LINES * (LINE_BYTES + PREFIX_BYTES);
  if (size !== expected) throw new Error(`lost data: ${size} bytes on disk, expected ${expected}`);
  const text = readFileSync(file, 'latin1');
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  if (n !== LINES) throw new Error(`lost lines: ${n} on disk, expected ${LINES}`);
}

function inProcess(data, bufferSize, follow) {
  const dir = mkdtempSync(join(tmpdir(), 'kepler-logbench-'));
  try {
    const store = new LogStore({ dir, settings: () => settings(bufferSize) });
    let followed = 0;
    if (follow) store.follow({ services: [] }, (lines) => (followed += lines.length));
    const sink = store.sink({ service: 'bench', hook: null, stream: 'stdout' });
    const t0 = process.hrtime.bigint();
    for (let off = 0; off < data.length; off += CHUNK_BYTES)
      sink.write(data.subarray(off, off + CHUNK_BYTES));
    sink.end();
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    store.closeAll();
    verify(dir);
    if (follow && followed !== LINES) throw new Error(`follower got ${followed} lines, expected ${LINES}`);
    return LINES / s;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const WRITER = `
const n = ${LINES}, len = ${LINE_BYTES};
const buf = Buffer.alloc(n * len, 'x');
for (let i = 0; i < n; i++) { buf.write(String(i).padStart(8, '0'), i * len, 'latin1'); buf[i * len + len - 1] = 10; }
process.stdin.once('data', () => process.stdout.write(buf));
`;

async function throughPipe(bufferSize) {
  const dir = mkdtempSync(join(tmpdir(), 'kepler-logbench-'));
  try {
    const store = new LogStore({ dir, settings: () => settings(bufferSize) });
    const sink = store.sink({ service: 'bench', hook: null, stream: 'stdout' });
    const child = spawn(process.execPath, ['-e', WRITER], { stdio: ['pipe', 'pipe', 'inherit'] });
    child.stdout.on('data', (chunk) => sink.write(chunk));
    // Start the clock once the child has built its data: measure capture, not the child's setup.
    await new Promise((r) => setTimeout(r, 300));
    const t0 = process.hrtime.bigint();
    child.stdin.end('go');
    await new Promise((resolve) => child.stdout.on('end', resolve));
    sink.end();
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    await new Promise((resolve) => child.on('exit', resolve));
    store.closeAll();
    verify(dir);
    return LINES / s;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A child appends the lines to its output file (O_APPEND, as a service does); the indexer stores them. */
async function throughOutputFile(bufferSize) {
  const dir = mkdtempSync(join(tmpdir(), 'kepler-logbench-'));
  const outDir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'kepler-logbench-out-'));
  try {
    const store = new LogStore({ dir, settings: () => settings(bufferSize) });
    const outPath = join(outDir, 'config', 'bench.stdout'); // the daemon's layout: <root>/<config>/<file>
    const fd = platform.openOutputForChild(outPath);
    const file = platform.openOutputFile(outPath);
    const capture = store.capture({ service: 'bench', hook: null, stream: 'stdout' }, file);
    file.watch(() => capture.notify());
    const child = spawn(process.execPath, ['-e', WRITER], { stdio: ['pipe', fd, 'inherit'] });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    closeSync(fd);
    await new Promise((r) => setTimeout(r, 300));
    const t0 = process.hrtime.bigint();
    child.stdin.end('go');
    const bytes = LINES * LINE_BYTES;
    while (capture.offset < bytes) await new Promise((r) => setImmediate(r));
    capture.close();
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    await exited;
    file.close();
    store.closeAll();
    verify(dir);
    return LINES / s;
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(outDir, { recursive: true, force: true });
  }
}

const data = makeData();
const fmt = (v) => `${(v / 1e6).toFixed(2)} M lines/s`;
const best = async (fn) => {
  let b = 0;
  for (let i = 0; i < RUNS; i++) b = Math.max(b, await fn());
  return b;
};
console.log(`${LINES} lines of ${LINE_BYTES} bytes, best of ${RUNS}`);
for (const bufferSize of [0, 16384]) {
  console.log(
    `buffer_size ${String(bufferSize).padStart(5)}  in-process   ${fmt(await best(() => inProcess(data, bufferSize, false)))}`,
  );
  console.log(
    `buffer_size ${String(bufferSize).padStart(5)}  + follower   ${fmt(await best(() => inProcess(data, bufferSize, true)))}`,
  );
  console.log(
    `buffer_size ${String(bufferSize).padStart(5)}  child pipe   ${fmt(await best(() => throughPipe(bufferSize)))}`,
  );
  if (platform.openOutputFile) {
    console.log(
      `buffer_size ${String(bufferSize).padStart(5)}  output file  ${fmt(await best(() => throughOutputFile(bufferSize)))}`,
    );
  }
}
