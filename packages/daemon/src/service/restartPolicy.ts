import type { BakedBackoff, BakedService, RestartPolicy } from '@kepler/config';
import { exitPhrase } from '../exitPhrase.js';

/** How a supervised process ended, as the restart policy needs it. */
export interface ExitFacts {
  readonly code: number | null;
  readonly signal: string | null;
  /** Our own child (exit status known); an adopted process's exit status is unknown. */
  readonly own: boolean;
}

/** Everything the restart decision reads: no clock, no process, no I/O. */
export interface RestartInput {
  readonly exit: ExitFacts;
  readonly policy: RestartPolicy;
  /** What the user asked for last: only a `run` service is restarted. */
  readonly desired: 'run' | 'stop';
  /** Automatic restarts in a row so far (each within `reset_after` of its start). */
  readonly consecutiveCrashes: number;
  /** How long the process ran, in ms. */
  readonly ranMs: number;
  readonly backoff: BakedBackoff;
  /** `restart.max_retries`: automatic restarts in a row before giving up; null = unlimited. */
  readonly maxRetries: number | null;
}

/** What follows an exit nobody asked for. */
export type RestartDecision =
  | {
      readonly restart: false;
      /** A failed run (non-zero, killed or unknown) is `failed`; a clean one `exited`. */
      readonly status: 'failed' | 'exited';
      readonly reason: string | null;
    }
  | {
      readonly restart: true;
      /** 0: at once, inside the exit's queue slot. */
      readonly delayMs: number;
      /** The counter to keep for the next exit (reset first when the run outlasted `reset_after`). */
      readonly consecutiveCrashes: number;
      /** `exited with code 1; restarting in 200 ms`. */
      readonly reason: string;
    };

/** An automatic restart: its backoff delay, the counter to keep and the reason shown meanwhile. */
export type RestartTo = Extract<RestartDecision, { readonly restart: true }>;

/** Automatic restarts that follow a crash within `reset_after` back off exponentially. */
export function backoffDelayMs(
  consecutive: number,
  b: { initialMs: number; multiplier: number; maxMs: number },
): number {
  if (consecutive <= 0) return 0; // the first automatic restart happens at once
  return Math.min(b.maxMs, b.initialMs * b.multiplier ** (consecutive - 1));
}

/** One line saying how the process ended, and whether that counts as a failed run. */
export function describeExit(exit: ExitFacts): { failedRun: boolean; how: string } {
  const unknown = !exit.own && exit.code === null && exit.signal === null;
  const how = unknown
    ? // It ended after this daemon adopted it (a restart ago): not our child, so no wait status.
      'ended (exit status unknown: adopted after a daemon restart)'
    : exitPhrase(exit);
  return { failedRun: unknown || exit.code !== 0, how };
}

/** The restart policy: restart or not, after how long, and the reason shown meanwhile. */
export function decideRestart(i: RestartInput): RestartDecision {
  const { failedRun, how } = describeExit(i.exit);
  const restart = i.desired === 'run' && (i.policy === 'always' || (i.policy === 'on-failure' && failedRun));
  if (!restart)
    return { restart: false, status: failedRun ? 'failed' : 'exited', reason: failedRun ? how : null };
  return nextRestart(i, how);
}

/** What the restart counter and backoff read (an exit's or an unhealthy verdict's). */
export type RestartCount = Pick<RestartInput, 'consecutiveCrashes' | 'ranMs' | 'backoff' | 'maxRetries'>;

/**
 * The next automatic restart after `how` (`exited with code 1`, `unhealthy`): its backoff delay, or
 * `failed` with `gave up after N restarts` once `maxRetries` restarts in a row (none lasting
 * `reset_after`) have been made.
 */
export function nextRestart(i: RestartCount, how: string): RestartDecision {
  const previous = i.ranMs >= i.backoff.resetAfterMs ? 0 : i.consecutiveCrashes;
  // `?? null`: snapshots baked before max_retries existed lack it.
  const maxRetries = i.maxRetries ?? null;
  if (maxRetries !== null && previous >= maxRetries) {
    return { restart: false, status: 'failed', reason: `${gaveUp(previous)} (${how})` };
  }
  const delayMs = backoffDelayMs(previous, i.backoff);
  return {
    restart: true,
    delayMs,
    consecutiveCrashes: previous + 1,
    reason: `${how}; restarting${delayMs > 0 ? ` in ${delayMs} ms` : ''}`,
  };
}

/** `gave up after 3 restarts`: the reason of a service its restart limit ended. */
export function gaveUp(restarts: number): string {
  return `gave up after ${restarts} restart${restarts === 1 ? '' : 's'}`;
}

/** The policy an exit is judged by: a oneshot that exited 0 has done its job, so `always` is `on-failure` for it. */
export function restartPolicyOf(spec: BakedService): RestartPolicy {
  return spec.type === 'oneshot' && spec.restart.policy === 'always' ? 'on-failure' : spec.restart.policy;
}
