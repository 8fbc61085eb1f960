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
 * A full mark-compact of V8's heap, made reachable without starting node with --expose-gc: a function
 * compiled while V8 accepts its runtime calls (`%CollectGarbage`, what `gc()` calls), in the daemon's
 * own context. `--expose-gc` set at run time only adds `gc` to contexts created later, and one created
 * for it (the earlier way) held ~1.3 MB of the daemon's RSS for good. Null when V8 refuses both.
 */
export function loadGc(): (() => void) | null {
  try {
    setFlagsFromString('--allow-natives-syntax');
    // Compiled now, while the flag is on (an unknown runtime call throws here, not when called);
    // nothing compiled after it is switched off can use `%`.
    return new Function('%CollectGarbage(null)') as () => void;
  } catch {
    return contextGc();
  } finally {
    setFlagsFromString('--no-allow-natives-syntax');
  }
}

/** `gc` from a new context (costs the context's memory): for a V8 without `%CollectGarbage`. */
function contextGc(): (() => void) | null {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    return null;
  }
}
