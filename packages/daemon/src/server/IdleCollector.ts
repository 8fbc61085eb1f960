import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** How long the daemon must be quiet after a request before its garbage is collected. */
export const IDLE_COLLECT_AFTER_MS = 200;

/**
 * Collects garbage once the daemon goes quiet after a burst of requests (a `start` of 100 services,
 * a `logs` dump). V8 shrinks its heap by itself only after several seconds of idleness; until then a
 * burst's garbage sits in resident memory on a host the daemon shares with the services it runs. One
 * full collection of the daemon's small heap takes a few milliseconds and runs at most once per quiet
 * period, never while requests keep coming.
 */
export class IdleCollector {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly afterMs = IDLE_COLLECT_AFTER_MS,
    private readonly collect: (() => void) | null = loadGc(),
  ) {}

  /** Some work just finished: collect once nothing else happens for a while. */
  activity(): void {
    if (!this.collect) return;
    if (this.timer) this.timer.refresh();
    else {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.collect?.();
      }, this.afterMs);
      this.timer.unref();
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

/**
 * V8's `gc()` (a full mark-compact; it takes no options on Node 20's V8), made reachable without
 * starting node with --expose-gc. Null when V8 refuses.
 */
export function loadGc(): (() => void) | null {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    return null;
  }
}
