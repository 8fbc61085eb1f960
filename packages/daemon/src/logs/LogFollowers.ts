import type { LogLine } from '@kepler/protocol';
import { LogError } from './LogError.js';
import { type LogSource, sourceMatches } from './logFormat.js';

/** Which live lines a follower gets; same meaning as in `LogReadQuery`. */
export interface LogFollowQuery {
  /** Service names; empty = every service, global hooks included. */
  readonly services: readonly string[];
  /** Leave out hook output. */
  readonly noHook?: boolean;
}

interface Follower {
  readonly services: ReadonlySet<string> | null;
  readonly noHook: boolean;
  readonly onLines: (lines: LogLine[]) => void;
  readonly onEnd: (() => void) | undefined;
}

/**
 * Live log lines of one config: where `kepler logs --follow` and a foreground `start` get theirs.
 * Lines arrive through `publish()`, called by a `CaptureSink` (CaptureSink.ts) for each chunk it reads
 * from a process's output: the service's own (`CaptureIndexer` reads its output files) or a
 * hook's (`HookRunner`). Lines of streams with `store: false` come through too: following does not
 * read the files.
 *
 * It keeps no history: a follower gets the lines captured after it subscribed (the `logs` handler reads
 * the stored tail in the same tick, so nothing falls between).
 */
export class LogFollowers {
  private readonly followers = new Set<Follower>();

  /** `onError` hears of a callback that threw (it is unsubscribed). */
  constructor(private readonly onError: (err: LogError) => void) {}

  /** Number of followers; sinks build no `LogLine` at all while it is 0. */
  get size(): number {
    return this.followers.size;
  }

  /**
   * Delivers lines of the chosen sources as sinks capture them, in batches (one per chunk read). A
   * callback that throws is unsubscribed and reported through `onError`. `onEnd` hears that no line
   * will come any more (`end()`). Returns the unsubscribe function.
   */
  add(q: LogFollowQuery, onLines: (lines: LogLine[]) => void, onEnd?: () => void): () => void {
    const follower: Follower = {
      services: q.services.length === 0 ? null : new Set(q.services),
      noHook: q.noHook ?? false,
      onLines,
      onEnd,
    };
    this.followers.add(follower);
    return () => {
      this.followers.delete(follower);
    };
  }

  /** Whether any follower wants lines of `source` (when none does, a sink skips building them). */
  isFollowed(source: LogSource): boolean {
    for (const f of this.followers) if (sourceMatches(source, f.services, f.noHook)) return true;
    return false;
  }

  /** Hands freshly captured lines of `source` to every follower that wants them. */
  publish(source: LogSource, lines: LogLine[]): void {
    for (const f of this.followers) {
      if (!sourceMatches(source, f.services, f.noHook)) continue;
      try {
        f.onLines(lines);
      } catch (err) {
        this.followers.delete(f);
        const detail = err instanceof Error ? err.message : String(err);
        this.onError(new LogError('LOG_FOLLOWER_FAILED', `log follower failed: ${detail}`, { cause: err }));
      }
    }
  }

  /**
   * The config's logs closed for good (`kepler down`, `stop --clean`, the last `kepler rm`): tells each
   * follower and drops them all, so a `logs --follow` ends instead of waiting for lines that never come.
   */
  end(): void {
    const ending = [...this.followers];
    this.followers.clear();
    for (const f of ending) f.onEnd?.();
  }
}
