import { execFile, execFileSync } from 'node:child_process';
import { constants, lstatSync, openSync } from 'node:fs';
import { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { errnoCode, PlatformError } from './errors.js';
import { forkServer } from './spawner/startViaSpawner.js';

/**
 * Creates a FIFO (mode 0600) at `path` unless one is already there. Node has no mkfifo, so this runs
 * `mkfifo` synchronously (a few ms). Throws PlatformError FIFO_FAILED if the path exists but is not a
 * FIFO, or mkfifo fails. Does not create parent directories.
 */
export function createFifo(path: string): void {
  createFifos([path]);
}

/**
 * createFifo for several paths with at most one `mkfifo` run (a service's stdout and stderr: the
 * exec is most of a start's cost). Same checks and errors as createFifo.
 */
export function createFifos(paths: readonly string[]): void {
  const missing: string[] = [];
  for (const path of paths) {
    try {
      if (lstatSync(path).isFIFO()) continue;
      throw new PlatformError('FIFO_FAILED', `not a FIFO: ${path}`);
    } catch (err) {
      if (err instanceof PlatformError) throw err;
      if (errnoCode(err) !== 'ENOENT') {
        throw new PlatformError('FIFO_FAILED', `cannot create FIFO ${path}: ${String(err)}`, { cause: err });
      }
      missing.push(path);
    }
  }
  if (missing.length === 0) return;
  try {
    execFileSync('mkfifo', ['-m', '0600', '--', ...missing], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new PlatformError(
      'FIFO_FAILED',
      `cannot create FIFO ${missing.join(', ')}: ${stderr || String(err)}`,
      {
        cause: err,
      },
    );
  }
}

/** Paths per batched `mkfifo` run: well inside the kernel's argv limits (128 KiB per string, ~2 MiB in all). */
const MKFIFO_BATCH_PATHS = 256;

interface FifoRequest {
  paths: string[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

const queued: FifoRequest[] = [];
let batching = false;

/**
 * createFifos without blocking the event loop: FIFOs requested in the same turn (or while a batch
 * runs) are checked together and the missing ones made by one request to the fork server (see
 * spawner/) or, without it, one asynchronous `mkfifo` per MKFIFO_BATCH_PATHS paths, and the caller
 * does no file-system work before its first await. Also starts the fork server if none runs. Existing FIFOs
 * cost one lstat each and no process. Same checks and errors as createFifos.
 */
export function ensureFifos(paths: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    queued.push({ paths: [...paths], resolve, reject });
    forkServer()?.warm(); // a spawn follows: the server starts meanwhile
    if (!batching) {
      batching = true;
      setImmediate(() => void runBatches());
    }
  });
}

/** True for a FIFO, false when nothing is there; throws FIFO_FAILED for anything else. */
function isExistingFifo(path: string): boolean {
  try {
    if (lstatSync(path).isFIFO()) return true;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return false;
    throw new PlatformError('FIFO_FAILED', `cannot create FIFO ${path}: ${String(err)}`, { cause: err });
  }
  throw new PlatformError('FIFO_FAILED', `not a FIFO: ${path}`);
}

/** Settles one request by what is there now (mkfifo goes on past a failed path). */
function settle(r: FifoRequest, stderr: string): void {
  try {
    const failed = r.paths.filter((p) => !isExistingFifo(p));
    if (failed.length === 0) r.resolve();
    else {
      const why = stderr.trim() || 'mkfifo failed';
      r.reject(new PlatformError('FIFO_FAILED', `cannot create FIFO ${failed.join(', ')}: ${why}`));
    }
  } catch (err) {
    r.reject(err);
  }
}

async function runBatches(): Promise<void> {
  while (queued.length > 0) {
    // A slice per round: the lstat checks of 5,000 services do not all run in one turn.
    const requests = queued.splice(0, MKFIFO_BATCH_PATHS / 2);
    const missing: string[] = [];
    const waiting: FifoRequest[] = [];
    for (const r of requests) {
      let paths: string[];
      try {
        paths = r.paths.filter((p) => !isExistingFifo(p));
      } catch (err) {
        r.reject(err);
        continue;
      }
      if (paths.length === 0) r.resolve();
      else {
        missing.push(...paths);
        waiting.push(r);
      }
    }
    const stderr = missing.length > 0 ? await mkfifo([...new Set(missing)]) : '';
    for (const r of waiting) settle(r, stderr);
    if (missing.length === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  batching = false;
}

/**
 * Makes FIFOs through the fork server (no process: a fork of the daemon costs more than the rest of
 * a start), else with one `mkfifo` run; resolves with the reason of a failure (empty on success),
 * never rejects.
 */
async function mkfifo(paths: string[]): Promise<string> {
  const server = forkServer();
  if (server !== null) {
    try {
      const failed = await server.mkfifo(paths);
      return failed === null ? '' : `mkfifo: cannot create fifo '${failed.path}': ${failed.errno}`;
    } catch {
      // the fork server died meanwhile: mkfifo(1) below
    }
  }
  return new Promise((resolve) => {
    execFile('mkfifo', ['-m', '0600', '--', ...paths], { encoding: 'utf8' }, (err, _out, stderr) => {
      resolve(err ? stderr || String(err) : '');
    });
  });
}

/**
 * Opens a FIFO for a child's stdout/stderr: O_RDWR, so the child itself also holds a reader and its
 * writes never fail with SIGPIPE/EPIPE while no daemon reads; they block once the pipe (64 KiB) is
 * full, and resume when a reader drains it. Blocking mode, since the open file is shared with the
 * child. Returns the fd: pass it in SpawnSpec.stdout/stderr, then close the daemon's copy.
 */
export function openFifoForChild(path: string): number {
  try {
    return openSync(path, constants.O_RDWR);
  } catch (err) {
    throw new PlatformError('FIFO_FAILED', `cannot open FIFO ${path}: ${String(err)}`, { cause: err });
  }
}

/**
 * Opens the daemon's read side without pinning a threadpool thread: O_RDONLY|O_NONBLOCK wrapped in a
 * net.Socket (a libuv pipe watched by epoll). The stream ends when no writer is left, so open it while
 * a writer exists (after openFifoForChild, or while an adopted service runs): with no writer at all it
 * ends at once. Data is raw bytes (no encoding set).
 */
export function openFifoReader(path: string): Readable {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new PlatformError('FIFO_FAILED', `cannot open FIFO ${path}: ${String(err)}`, { cause: err });
  }
  return new Socket({ fd, readable: true, writable: false });
}
