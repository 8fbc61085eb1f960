import type { BackoffState } from '@kepler/protocol';
import type { Clock } from '../platform/index.js';

/**
 * A service's pending automatic restart: the backoff timer on the platform's clock, with its wait and
 * due time kept for `inspect` while it runs.
 */
export class RestartTimer {
  private timer: NodeJS.Timeout | null = null;
  private due: { delayMs: number; atMs: number } | null = null;

  constructor(private readonly clock: () => Clock) {}

  /** Runs `fn` after `delayMs` (a pending one is replaced). */
  arm(delayMs: number, fn: () => void): void {
    this.clear();
    const clock = this.clock();
    this.due = { delayMs, atMs: clock.now() + delayMs };
    this.timer = clock.setTimeout(() => {
      this.timer = null;
      this.due = null;
      fn();
    }, delayMs);
  }

  clear(): void {
    this.clock().clearTimeout(this.timer);
    this.timer = null;
    this.due = null;
  }

  /** `consecutiveCrashes` with the pending restart's wait and due time (nulls when none is pending). */
  backoff(consecutiveCrashes: number): BackoffState {
    const due = this.due;
    return {
      consecutiveCrashes,
      delayMs: due?.delayMs ?? null,
      restartAt: due ? new Date(due.atMs).toISOString() : null,
    };
  }
}
