import { readFileSync } from 'node:fs';
import { writeFileAtomic, writeFileAtomicAsync } from './atomicWrite.js';
import { parsePersistedState, type StateReading } from './persistedState.js';
import { errnoCode } from './platform/errors.js';
import type { PersistedConfigState } from './serviceState.js';

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
    return `${JSON.stringify(this.snapshot(), null, 2)}\n`;
  }
}
