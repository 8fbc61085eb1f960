import { readFileSync, statSync } from 'node:fs';
import { errnoCode } from '../../platform/errors.js';
import type { PersistedConfigState } from '../../service/serviceState.js';
import { writeFileAtomic, writeFileAtomicAsync } from './atomicWrite.js';
import { parsePersistedState, type StateReading } from './persistedState.js';

/** After a failed write (a full disk), the state is written again this long after, until it lands. */
export const STATE_RETRY_MS = 1000;

/**
 * Consecutive writes are spaced by 4x the last serialisation's time, and by 1 ms per 10 kB written:
 * a config of 5,000 services is ~2 MB of state that takes 20-60 ms to serialise and as much again to
 * copy and write, and rewriting it back to back through a long start kept the event loop busy half
 * the time. Small configs wait about nothing. (A crash loses at most this window of changes; spawns
 * are in SpawnJournal anyway.)
 */
export const SERIALISE_PAUSE_FACTOR = 4;
export const STATE_BYTES_PER_PAUSE_MS = 10_000;

/**
 * A config's `state.json`: read once at load, then rewritten after every burst of transitions.
 * Writes are atomic and happen off the event loop (the fsync runs in libuv's threadpool, so
 * supervision never waits on the disk); transitions during a write give one more write after it. A
 * write superseded while in flight (writeNow at shutdown) is dropped, never renamed over newer state.
 *
 * A write that fails (ENOSPC, EIO) never throws at its caller: the file keeps its last written state,
 * the failure goes to the daemon's log once per run of failures, and the write is retried every
 * STATE_RETRY_MS until it lands (or the file is closed). The state lives on in memory meanwhile.
 */
export class StateFile {
  private dirty = false;
  private writing: Promise<void> | null = null;
  /** Bumped per write; an async write commits only if it is still the newest. */
  private generation = 0;
  private closed = false;
  /** Writes are failing: the first failure was reported, the next success will be. */
  private failing = false;
  private retryTimer: NodeJS.Timeout | null = null;
  /** How long the next write waits after the last one (see SERIALISE_PAUSE_FACTOR), ms. */
  private pauseMs = 0;
  /** When the last serialisation ended (Date.now()). */
  private lastWriteAt = 0;

  constructor(
    readonly path: string,
    private readonly snapshot: () => PersistedConfigState,
    private readonly log: (line: string) => void,
  ) {}

  /**
   * The persisted state of `services`, checked field by field (see parsePersistedState). A missing
   * file is no problem (a config's first use); an unreadable or corrupt one is reported in `problems`.
   */
  read(services: readonly string[]): StateReading & { exists: boolean } {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (e) {
      const missing = errnoCode(e) === 'ENOENT';
      const problems = missing ? [] : [`cannot read it: ${(e as Error).message}`];
      return { state: null, problems, untrusted: new Set(services), exists: !missing };
    }
    return { ...parsePersistedState(text, services), exists: true };
  }

  /** When the file was last written (ms since the epoch), or null when there is none. */
  writtenAtMs(): number | null {
    try {
      return statSync(this.path).mtimeMs;
    } catch {
      return null;
    }
  }

  /** Writes soon (after the rest of this tick's transitions). */
  schedule(): void {
    if (this.closed) return;
    this.dirty = true;
    this.writing ??= this.flush();
  }

  /**
   * Writes now, synchronously (first load, recreate). Returns false when the write failed: it was
   * reported, and is retried later.
   */
  writeNow(): boolean {
    if (this.closed) return true;
    this.dirty = false;
    this.generation++; // an async write in flight now carries older state: it must not land
    try {
      writeFileAtomic(this.path, this.text());
      this.succeeded();
      return true;
    } catch (e) {
      this.failed(e as Error);
      return false;
    }
  }

  /**
   * The last write (daemon shutdown), then no more. Never throws: a failure is reported (always, even
   * within a run of failures already reported) and the file keeps its last written state.
   */
  closeWithFinalWrite(): boolean {
    if (this.closed) return true;
    this.close();
    this.generation++;
    try {
      writeFileAtomic(this.path, this.text());
      this.succeeded();
      return true;
    } catch (e) {
      this.log(
        `cannot write ${this.path} at shutdown: ${(e as Error).message}; it keeps its last written state (stops are also recorded in spawned/)`,
      );
      return false;
    }
  }

  /** Resolves once no write is in flight. */
  async settled(): Promise<void> {
    while (this.writing) await this.writing;
  }

  /** No more writes (the state directory is being removed, or the daemon is exiting). */
  close(): void {
    this.closed = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private async flush(): Promise<void> {
    try {
      await new Promise((resolve) => setImmediate(resolve));
      while (this.dirty && !this.closed) {
        const pause = this.lastWriteAt + this.pauseMs - Date.now();
        if (pause >= 1) await new Promise((resolve) => setTimeout(resolve, pause));
        if (this.closed) break;
        this.dirty = false;
        const generation = ++this.generation;
        const landed = await writeFileAtomicAsync(
          this.path,
          this.text(),
          () => generation === this.generation && !this.closed,
        );
        if (landed) this.succeeded();
      }
    } catch (e) {
      this.failed(e as Error);
    } finally {
      this.writing = null;
    }
  }

  private succeeded(): void {
    if (!this.failing) return;
    this.failing = false;
    this.log(`${this.path} is written again`);
  }

  /** Keeps the state to write and retries later; reports only the first failure of a run. */
  private failed(e: Error): void {
    this.dirty = true;
    if (!this.failing) {
      this.failing = true;
      this.log(`cannot write ${this.path}: ${e.message} (retrying every ${STATE_RETRY_MS} ms)`);
    }
    if (this.closed || this.retryTimer !== null) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.dirty) this.schedule();
    }, STATE_RETRY_MS);
    this.retryTimer.unref();
  }

  private text(): string {
    const t0 = performance.now();
    const text = `${JSON.stringify(this.snapshot(), null, 2)}\n`;
    const serialiseMs = performance.now() - t0;
    this.pauseMs = Math.max(serialiseMs * SERIALISE_PAUSE_FACTOR, text.length / STATE_BYTES_PER_PAUSE_MS);
    this.lastWriteAt = Date.now();
    return text;
  }
}
