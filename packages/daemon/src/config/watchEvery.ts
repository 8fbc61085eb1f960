import type { StreamEvent } from '@kepler/protocol';

/**
 * Pending services are all judged again at most this often while status changes arrive; each change
 * judges its own service at once. A judgement can depend on more than the service's status (what the
 * user last asked for changes without an event), so the sweep keeps the old "re-checked at every status
 * change" meaning, while a burst of 5,000 changes costs 5,000 judgements plus a few sweeps instead of
 * 5,000 x 5,000.
 */
export const SWEEP_INTERVAL_MS = 100;

/** A judgement: done, still pending, or failed with a reason that ends the watch. */
export type Judgement<F> = boolean | { failed: F };

export type WatchOutcome<F> = { ok: true } | { ok: false; service: string; failure: F };

/**
 * Calls `settled` once every named service is judged done, or once one is judged failed, re-judging
 * services as their status changes (events from `subscribe`). Returns a function that ends the watch
 * early (cancellation, timeout) without calling `settled`. `settled` may be called synchronously.
 */
export function watchEvery<F>(
  subscribe: (listener: (event: StreamEvent) => void) => () => void,
  names: readonly string[],
  judge: (name: string) => Judgement<F>,
  settled: (outcome: WatchOutcome<F>) => void,
): () => void {
  const watched = new Set(names);
  const pending = new Set<string>();
  let done = false;
  let timer: NodeJS.Timeout | null = null;
  let off: () => void = () => undefined;
  const end = (): void => {
    done = true;
    off();
    if (timer) clearTimeout(timer);
  };
  const finish = (outcome: WatchOutcome<F>): void => {
    if (done) return;
    end();
    settled(outcome);
  };
  const judgeOne = (name: string): void => {
    const j = judge(name);
    if (j === true) pending.delete(name);
    else if (j === false) pending.add(name);
    else finish({ ok: false, service: name, failure: j.failed });
  };
  const sweep = (): void => {
    timer = null;
    for (const name of [...pending]) {
      judgeOne(name);
      if (done) return;
    }
    if (pending.size === 0) finish({ ok: true });
  };
  for (const name of watched) {
    judgeOne(name);
    if (done) return () => undefined;
  }
  if (pending.size === 0) {
    finish({ ok: true });
    return () => undefined;
  }
  off = subscribe((e) => {
    if (done || e.type !== 'serviceStatusChanged') return;
    if (watched.has(e.service)) judgeOne(e.service);
    if (done) return;
    if (pending.size === 0) finish({ ok: true });
    else timer ??= setTimeout(sweep, SWEEP_INTERVAL_MS);
  });
  return end;
}
