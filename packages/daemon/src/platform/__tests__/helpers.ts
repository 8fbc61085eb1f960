import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { findProcessesByMarker } from '../procfs.js';
import { type SpawnedProcess, type SpawnSpec, spawnService } from '../spawn.js';
import { setSpawnerEnabled } from '../spawner/startViaSpawner.js';
import { createFifo, openFifoForChild, openFifoReader } from './fifo.js';

export const TEST_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** The system python (pyenv shims are slow bash scripts). */
export const PY = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
export const isRoot = process.getuid?.() === 0;

export function uniqueName(prefix = 'kt'): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

export function makeTmpDir(): string {
  return mkdtempSync(join(tmpdir(), 'kt-platform-'));
}

/** Polls `fn` until it returns something truthy, or fails after `timeoutMs`. */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  what: string,
  timeoutMs = 5000,
  intervalMs = 10,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function readAll(stream: Readable | null): Promise<Buffer> {
  if (stream === null) return Promise.reject(new Error('no stream'));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/** Resolves with the first line the stream prints, keeping the rest flowing. */
export function firstLine(stream: Readable | null): Promise<string> {
  if (stream === null) return Promise.reject(new Error('no stream'));
  return new Promise((resolve, reject) => {
    let buf = '';
    stream.on('data', (c: Buffer) => {
      buf += c.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(buf.slice(0, nl));
    });
    stream.on('end', () => reject(new Error(`stream ended before a line: ${JSON.stringify(buf)}`)));
  });
}

export function spec(overrides: Partial<SpawnSpec> & Pick<SpawnSpec, 'command'>): SpawnSpec {
  return {
    cwd: '/',
    env: { PATH: TEST_PATH },
    user: null,
    group: null,
    limits: { memoryBytes: null, cpuTimeSec: null, maxFds: null },
    stdout: 'pipe',
    stderr: 'pipe',
    ...overrides,
  };
}

/** Tracks process groups and markers a test started, to SIGKILL whatever is left afterwards. */
export class Reaper {
  private readonly pgids = new Set<number>();
  private readonly markers = new Set<string>();
  add(pgid: number): number {
    this.pgids.add(pgid);
    return pgid;
  }
  addMarker(marker: string): string {
    this.markers.add(marker);
    return marker;
  }
  killAll(): void {
    for (const marker of this.markers) {
      for (const pid of findProcessesByMarker(marker)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    this.markers.clear();
    for (const pgid of this.pgids) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    this.pgids.clear();
  }
}

/** The two ways spawnService starts a process: each platform test runs through both. */
export const SPAWN_PATHS = ['exec chain', 'fork server'] as const;
export type SpawnPath = (typeof SPAWN_PATHS)[number];

/**
 * spawnService through `path`. The fork server (kepler-spawner, built by `pnpm run build`) takes
 * fds and `'ignore'`, not `'pipe'`: there `'pipe'` outputs become FIFOs, as for services, and the
 * FIFO readers stand in for stdout/stderr.
 */
export async function spawnWith(path: SpawnPath, s: SpawnSpec): Promise<SpawnedProcess> {
  setSpawnerEnabled(path === 'fork server');
  if (path === 'exec chain' || (s.stdout !== 'pipe' && s.stderr !== 'pipe')) return spawnService(s);
  const dir = makeTmpDir();
  const fds: number[] = [];
  const readers: Record<'stdout' | 'stderr', Readable | null> = { stdout: null, stderr: null };
  const target = (stream: 'stdout' | 'stderr'): number | 'ignore' => {
    const t = s[stream];
    if (t !== 'pipe') return t;
    const path = join(dir, stream);
    createFifo(path);
    const fd = openFifoForChild(path);
    fds.push(fd);
    readers[stream] = openFifoReader(path);
    return fd;
  };
  try {
    const proc = await spawnService({ ...s, stdout: target('stdout'), stderr: target('stderr') });
    return { ...proc, ...readers };
  } catch (err) {
    for (const r of Object.values(readers)) r?.destroy();
    throw err;
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}
