import { readFileSync } from 'node:fs';
import { writeFileAtomic, writeFileAtomicAsync } from './atomicWrite.js';
import type { PersistedConfigState } from './serviceState.js';

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
 */
export class StateFile {
  private dirty = false;
  private writing: Promise<void> | null = null;
  /** Bumped per write; an async write commits only if it is still the newest. */
  private generation = 0;
  private closed = false;
  /** How long the next write waits after the last one (see SERIALISE_PAUSE_FACTOR), ms. */
  private pauseMs = 0;
  /** When the last serialisation ended (Date.now()). */
  private lastWriteAt = 0;

  constructor(
    readonly path: string,
    private readonly snapshot: () => PersistedConfigState,
    private readonly log: (line: string) => void,
  ) {}

  /** The persisted state, or null when there is none (or it cannot be read). */
  read(): PersistedConfigState | null {
    try {
      return JSON.parse(readFileSync(this.path, 'utf8')) as PersistedConfigState;
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

  /** Writes now, synchronously (first load, recreate, daemon shutdown). */
  writeNow(): void {
    if (this.closed) return;
    this.dirty = false;
    this.generation++; // an async write in flight now carries older state: it must not land
    writeFileAtomic(this.path, this.text());
  }

  /** Resolves once no write is in flight. */
  async settled(): Promise<void> {
    while (this.writing) await this.writing;
  }

  /** No more writes (the state directory is being removed). */
  close(): void {
    this.closed = true;
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
        await writeFileAtomicAsync(
          this.path,
          this.text(),
          () => generation === this.generation && !this.closed,
        );
      }
    } catch (e) {
      this.log(`cannot write ${this.path}: ${(e as Error).message}`);
    } finally {
      this.writing = null;
    }
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
