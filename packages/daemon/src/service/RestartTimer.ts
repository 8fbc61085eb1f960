import type { Clock } from '../platform/index.js';
import type { PendingRestart } from './serviceState.js';

/**
 * A service's pending automatic restart: the backoff timer on the platform's clock. Its wait and due
 * time live in the service's state (`pendingRestart`, persisted, so a restarted daemon waits out the
 * rest); this holds only the timer, which runs `relaunch` when the wait ends.
 */
export class RestartTimer {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly clock: () => Clock,
    private readonly relaunch: () => void,
  ) {}

  /** The wait of a restart `delayMs` from now; null for 0 (that restart is at once, no timer). */
  waitOf(delayMs: number): PendingRestart | null {
    if (delayMs === 0) return null;
    return { delayMs, restartAt: new Date(this.clock().now() + delayMs).toISOString() };
  }

  /**
   * Relaunches when `wait` is due by the wall clock; at once when it has passed (a daemon restart took
   * longer). Never later than its delay from now: a wall clock set back must not stretch the wait.
   */
  arm(wait: PendingRestart): void {
    this.clear();
    const clock = this.clock();
    const leftMs = Math.min(Date.parse(wait.restartAt) - clock.now(), wait.delayMs);
    if (leftMs <= 0) {
      this.relaunch();
      return;
    }
    this.timer = clock.setTimeout(() => {
      this.timer = null;
      this.relaunch();
    }, leftMs);
  }

  clear(): void {
    this.clock().clearTimeout(this.timer);
    this.timer = null;
  }
}
