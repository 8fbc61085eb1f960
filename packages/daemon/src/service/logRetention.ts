import type { BakedLogSettings } from '@kepler/config';

/** The retention setting that cleared a service's logs (LogStore.clear's `by`). */
export type RetentionRule = 'on_start' | 'on_stop' | 'on_restart' | 'on_exit';

/** A moment in a service's life at which its own logs may be cleared. */
export type RetentionEvent =
  /** A launch: a user start, or a restart (user, propagated, or automatic after a crash). */
  | { readonly kind: 'launch'; readonly launch: 'start' | 'restart' | 'auto' }
  /** Its process ended without anyone asking (before the restart policy acts). */
  | { readonly kind: 'exit' }
  /**
   * A stop: `restarting` when it is the first half of a restart (logs follow on_restart then),
   * `requeue` when restart propagation sends it back to waiting on its dependencies, `shutdown` when
   * the daemon stops everything as it exits (its logs survive daemon restarts: not a user's stop).
   */
  | {
      readonly kind: 'stop';
      readonly restarting: boolean;
      readonly requeue: boolean;
      readonly shutdown: boolean;
    };

/**
 * Which rule clears the service's logs at `event`, or null when they are kept. Only the service's own
 * logs are ever cleared, and only by its own events: a dependency's restart does not clear a dependent.
 */
export function clearedBy(
  retention: BakedLogSettings['retention'],
  event: RetentionEvent,
): RetentionRule | null {
  switch (event.kind) {
    case 'launch':
      if (event.launch === 'start') return retention.onStart === 'clear' ? 'on_start' : null;
      return retention.onRestart === 'clear' ? 'on_restart' : null;
    case 'exit':
      return retention.onExit === 'clear' ? 'on_exit' : null;
    case 'stop':
      if (event.restarting || event.requeue || event.shutdown) return null;
      return retention.onStop === 'clear' ? 'on_stop' : null;
  }
}
