// Helpers shared by the benchmark scripts (plain node, no build step).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** Median (mean of the middle two for an even count); NaN for no samples. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** runs, median, p90, min, max of samples (nearest-rank percentiles). */
export function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const pick = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return { runs: sorted.length, median: pick(0.5), p90: pick(0.9), min: sorted[0], max: sorted.at(-1) };
}

/** Wall-clock ms of `node args` over `runs` runs, after one warm-up run (which fills the OS file cache). */
export function timeProcess(args, { runs, cwd, env = process.env }) {
  const samples = [];
  for (let i = 0; i <= runs; i++) {
    const started = performance.now();
    const r = spawnSync(process.execPath, args, { cwd, env, encoding: 'utf8' });
    const elapsed = performance.now() - started;
    if (r.status !== 0) {
      throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr.trim().slice(0, 500)}`);
    }
    if (i > 0) samples.push(elapsed);
  }
  return stats(samples);
}

/** Resident memory of a process in MB (VmRSS); NaN when it is gone. */
export function rssMb(pid) {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/**
 * Resolves once `pid` has ended (gone, or a zombie not yet reaped), polling /proc. Used instead of a
 * child's 'exit' event: a child that ends while the parent is inside spawnSync may never emit it.
 */
export async function waitGone(pid, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let state = null;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    } catch {
      return true;
    }
    if (state === 'Z' || state === 'X') return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Exits with a one-line reason unless every built file exists and we run as root (the daemon's user). */
export function requireBuiltAndRoot(files) {
  for (const f of files) {
    if (!existsSync(f)) {
      console.error(`missing ${f}: run \`pnpm build\` first`);
      process.exit(1);
    }
  }
  if (process.getuid?.() !== 0) {
    console.error('the daemon runs as root: run this benchmark as root');
    process.exit(1);
  }
}

export const pause = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value (returned) or `timeoutMs` passes (throws naming `what`). */
export async function until(fn, what, timeoutMs = 60_000, intervalMs = 1) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await pause(intervalMs);
  }
}

/** True while `pid` runs (not gone, not a zombie). */
export function alive(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const st = s.slice(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3);
    return st !== 'Z' && st !== 'X';
  } catch {
    return false;
  }
}

/** CPU time (user + system) of `pid` in ms, from /proc/<pid>/stat (clock ticks of 10 ms); NaN when gone. */
export function cpuMs(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 (utime, stime) of proc(5); f[0] is field 3.
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** Pids of live processes whose environment holds `marker` (e.g. `KEPLER_SERVICE_ID=<config id>.`). */
export function pidsWithEnv(marker) {
  const pids = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/environ`, 'latin1').includes(`\0${marker}`) && alive(Number(e)))
        pids.push(Number(e));
    } catch {
      // gone, or a kernel thread
    }
  }
  return pids;
}

/** Wall-clock ms of one run of `cmd args` (no shell), with its exit status. */
export function timeOnce(cmd, args, opts = {}) {
  const started = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...opts });
  return { ms: performance.now() - started, status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * farm-bench's method without farm-bench: commands A and B run in turn (A B A B ...) after one warm-up
 * each, so a drift of the machine's speed hits both; returns each one's samples and the pairwise
 * differences A - B. A non-zero exit of either throws (a failing command is not a figure).
 */
export function pairedTimes(a, b, runs) {
  const as = [];
  const bs = [];
  const diffs = [];
  for (let i = 0; i <= runs; i++) {
    const ra = timeOnce(a.cmd, a.args, a.opts);
    const rb = timeOnce(b.cmd, b.args, b.opts);
    for (const [r, c] of [
      [ra, a],
      [rb, b],
    ]) {
      if (r.status !== 0)
        throw new Error(
          `${c.cmd} ${c.args.join(' ')} exited ${r.status}: ${String(r.stderr).trim().slice(0, 300)}`,
        );
    }
    if (i === 0) continue;
    as.push(ra.ms);
    bs.push(rb.ms);
    diffs.push(ra.ms - rb.ms);
  }
  return { a: as, b: bs, diffs };
}

/**
 * The Node flags the daemon's `#!` line names (`#!/usr/bin/env -S node FLAGS`, as `kepler daemon start`
 * also passes them): a benchmark that runs `node main.js` itself passes them too, to measure the daemon
 * users run.
 */
export function daemonNodeFlags(daemonMain) {
  const first = readFileSync(daemonMain, 'utf8').split('\n', 1)[0];
  const m = /^#!\/usr\/bin\/env -S node (.+)$/.exec(first);
  return m ? m[1].split(' ') : [];
}
