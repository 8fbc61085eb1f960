/** Words that differ between `start` and `restart` output. */
export interface StartVerbs {
  /** `Starting` / `Restarting`. */
  readonly progressive: string;
  /** Printed when the request touched no service, with what to run instead. */
  readonly nothing: string;
}

/** What a start or restart did, as the daemon reports it (`StartResult`, or the `begun` event). */
export interface StartOutcome {
  readonly started: readonly string[];
  readonly alreadyRunning: readonly string[];
  readonly deferred?: readonly string[];
}

/**
 * The lines saying what a start or restart did: `Starting web` per (re)started service (only with
 * `listStarted`: a foreground run shows state lines instead), `web is already running`, why a named
 * service was not restarted and how to start it, or `verbs.nothing` when nothing was touched.
 */
export function outcomeLines(
  outcome: StartOutcome,
  named: readonly string[],
  verbs: StartVerbs,
  opts: { readonly listStarted: boolean },
): string[] {
  const lines: string[] = [];
  if (opts.listStarted) for (const name of outcome.started) lines.push(`${verbs.progressive} ${name}`);
  for (const name of outcome.alreadyRunning) lines.push(`${name} is already running`);
  const skipped = notTouched(outcome, named);
  for (const name of skipped)
    lines.push(`${name} is not running, so not restarted (\`kepler start ${name}\` starts it)`);
  if (outcome.started.length === 0 && outcome.alreadyRunning.length === 0 && skipped.length === 0)
    lines.push(verbs.nothing);
  return lines;
}

/**
 * The first line of a foreground run once the daemon has begun it: what is followed and what Ctrl+C
 * and `-d` do (`Following api (Ctrl+C stops it; -d returns at once)`), or null when nothing was
 * (re)started or already running, so nothing is followed.
 */
export function followHeader(outcome: StartOutcome, named: readonly string[]): string | null {
  const touched = new Set([...outcome.started, ...outcome.alreadyRunning]);
  if (touched.size === 0) return null;
  if (named.length === 0) return 'Following all services (Ctrl+C stops them; -d returns at once)';
  const followed = unique(named).filter((n) => touched.has(n));
  const them = followed.length === 1 ? 'it' : 'them';
  return `Following ${followed.join(', ')} (Ctrl+C stops ${them}; -d returns at once)`;
}

/** Named services the daemon left alone: a restart touches running services only. */
function notTouched(outcome: StartOutcome, named: readonly string[]): string[] {
  const touched = new Set([...outcome.started, ...outcome.alreadyRunning, ...(outcome.deferred ?? [])]);
  return unique(named).filter((name) => !touched.has(name));
}

function unique(names: readonly string[]): string[] {
  return [...new Set(names)];
}
