// Helpers shared by the benchmark scripts (plain node, no build step).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

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
