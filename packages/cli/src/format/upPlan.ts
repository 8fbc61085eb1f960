import type { UpPlan } from '@kepler/protocol';

/**
 * `kepler up`'s plan as lines, one per service in the config's order, columns aligned:
 * `api     recreate   environment: +DEBUG, ~PORT; healthcheck.interval 10s -> 5s`. Then one line per
 * change under `kepler:`.
 */
export function planLines(plan: UpPlan): string[] {
  const nameWidth = Math.max(0, ...plan.services.map((c) => c.service.length));
  const actionWidth = Math.max(0, ...plan.services.map((c) => c.action.length));
  const lines = plan.services.map((c) => {
    const why = c.action === 'remove' ? '(stopped, its logs kept until prune)' : c.reasons.join('; ');
    return `${c.service.padEnd(nameWidth)}  ${c.action.padEnd(actionWidth)}  ${why}`.trimEnd();
  });
  for (const change of plan.kepler) lines.push(change);
  return lines;
}

/**
 * Said once on stderr by `start`, `restart` and `ps` when a file the running snapshot was baked from
 * changed since. `file` is the config as the user named it (`-f` or the default's name).
 */
export function staleLine(file: string): string {
  return `${file} changed since it was baked; kepler up applies it (kepler up --dry-run shows how)`;
}
