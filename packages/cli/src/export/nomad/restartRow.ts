/**
 * The restart row of the Nomad mapping: Kepler's policy, backoff and max_retries as a group's restart
 * (in place) and reschedule policies.
 */
import { formatDuration } from '@kepler/config/grammar';
import { type GroupContext, type GroupDraft, ns } from './groupDraft.js';

/** Nomad's floors (nomad/structs): restart interval and reschedule delay. */
export const NOMAD_MIN_RESTART_INTERVAL_MS = 5000;
export const NOMAD_MIN_RESCHEDULE_DELAY_MS = 5000;

/** `restart`: fills the group's RestartPolicy and ReschedulePolicy, warning where they differ from Kepler's. */
export function restartRow(ctx: GroupContext, draft: GroupDraft): void {
  const { policy, backoff } = ctx.service.restart;
  if (policy === 'no') {
    draft.group.RestartPolicy = { Attempts: 0, Interval: ns(30 * 60_000), Delay: ns(15_000), Mode: 'fail' };
    draft.group.ReschedulePolicy = { Attempts: 0, Unlimited: false };
    draft.warn(
      'restart.policy',
      'no: Nomad marks a service task that exits as failed, whatever its exit code',
    );
    return;
  }
  if (ctx.service.restart.maxRetries !== null) {
    // A limited number: restarts in place only (Nomad's delay is constant), then the group fails.
    const retries = ctx.service.restart.maxRetries;
    const window = Math.max(NOMAD_MIN_RESTART_INTERVAL_MS, backoff.resetAfterMs, retries * backoff.initialMs);
    draft.group.RestartPolicy = {
      Attempts: retries,
      Interval: ns(window),
      Delay: ns(backoff.initialMs),
      Mode: 'fail',
    };
    draft.group.ReschedulePolicy = { Attempts: 0, Unlimited: false };
    draft.warn(
      'restart.backoff',
      `Nomad restarts in place ${retries} time(s) every ${formatDuration(backoff.initialMs)} (a constant delay), then fails the group`,
    );
    if (policy === 'on-failure') {
      draft.warn('restart.policy', "on-failure: Nomad's service jobs restart a task whatever its exit code");
    }
    return;
  }
  // Restarts in place for the part of the backoff under Nomad's 5 s reschedule floor (Nomad's restart
  // delay is constant), then rescheduling without limit with the rest of it.
  let attempts = 0;
  let delay = backoff.initialMs;
  while (delay < NOMAD_MIN_RESCHEDULE_DELAY_MS && delay < backoff.maxMs && attempts < 100) {
    attempts += 1;
    if (backoff.multiplier <= 1) break;
    delay *= backoff.multiplier;
  }
  attempts = Math.max(1, attempts);
  const interval = Math.max(
    NOMAD_MIN_RESTART_INTERVAL_MS,
    backoff.resetAfterMs,
    attempts * backoff.initialMs,
  );
  draft.group.RestartPolicy = {
    Attempts: attempts,
    Interval: ns(interval),
    Delay: ns(backoff.initialMs),
    Mode: 'fail',
  };
  const first = Math.max(NOMAD_MIN_RESCHEDULE_DELAY_MS, Math.min(delay, backoff.maxMs));
  const max = Math.max(first, backoff.maxMs);
  draft.group.ReschedulePolicy = {
    Attempts: 0,
    Delay: ns(first),
    DelayFunction: backoff.multiplier <= 1 ? 'constant' : 'exponential',
    MaxDelay: ns(max),
    Unlimited: true,
  };
  draft.warn(
    'restart.backoff',
    `Nomad restarts in place ${attempts} time(s) every ${formatDuration(backoff.initialMs)}, then reschedules after ${formatDuration(first)} growing to ${formatDuration(max)}`,
  );
  if (backoff.multiplier > 1 && backoff.multiplier !== 2) {
    draft.warn('restart.backoff.multiplier', `${backoff.multiplier}: Nomad's exponential delay doubles`);
  }
  if (policy === 'on-failure') {
    draft.warn('restart.policy', "on-failure: Nomad's service jobs restart a task whatever its exit code");
  }
}
