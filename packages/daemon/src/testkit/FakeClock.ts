import type { Clock } from '../platform/index.js';

interface PendingTimer {
  dueAt: number;
  ms: number;
  fn: () => void;
  /** The real timer behind it (real-time mode only). */
  real: NodeJS.Timeout | null;
}

/**
 * The supervisor's clock in in-process tests. Frozen by default: time starts at the real time of
 * creation and moves only when the test calls `advance`, which fires the timers that came due, in
 * order. So a 10 s backoff is tested in no time, and nothing fires before the test says so. With
 * `realTime`, time also passes as usual and timers fire on their own (short test durations).
 *
 * Only what asks the Platform's clock is affected: restart backoff, log drain waits, command-probe
 * timeouts and the fake's stop grace. Health intervals and dependency timeouts use real timers.
 */
export class FakeClock implements Clock {
  private readonly startedAt = Date.now();
  private advancedMs = 0;
  private readonly timers = new Map<NodeJS.Timeout, PendingTimer>();
  /** Every delay asked for, in order. */
  readonly requested: number[] = [];

  constructor(private readonly realTime = false) {}

  now(): number {
    return (this.realTime ? Date.now() : this.startedAt) + this.advancedMs;
  }

  setTimeout(fn: () => void, ms: number): NodeJS.Timeout {
    // Frozen: a handle that only this clock understands (callers hand it back to clearTimeout).
    const handle = (this.realTime ? null : { fakeTimer: this.requested.length }) as unknown as NodeJS.Timeout;
    const real = this.realTime ? setTimeout(() => this.fire(key), ms) : null;
    const key = real ?? handle;
    this.timers.set(key, { dueAt: this.now() + ms, ms, fn, real });
    this.requested.push(ms);
    return key;
  }

  clearTimeout(timer: NodeJS.Timeout | null | undefined): void {
    if (!timer) return;
    const t = this.timers.get(timer);
    if (t?.real) clearTimeout(t.real);
    this.timers.delete(timer);
  }

  /** Moves time forward by `ms`: every timer due by then fires now, earliest first. */
  advance(ms: number): void {
    this.advancedMs += ms;
    const now = this.now();
    const due = [...this.timers].filter(([, t]) => t.dueAt <= now).sort(([, a], [, b]) => a.dueAt - b.dueAt);
    for (const [key] of due) this.fire(key);
  }

  /** The delays (ms, as asked) of the timers still pending, in the order they were set. */
  pending(): number[] {
    return [...this.timers.values()].map((t) => t.ms);
  }

  /** Cancels every pending timer (the test is over). */
  cancelAll(): void {
    for (const key of [...this.timers.keys()]) this.clearTimeout(key);
  }

  private fire(key: NodeJS.Timeout): void {
    const t = this.timers.get(key);
    if (!t) return; // cleared, or fired already
    this.clearTimeout(key);
    t.fn();
  }
}
