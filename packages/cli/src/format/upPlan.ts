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
 * Said once on stderr by `start`, `restart` and `ps` when files the running snapshot was baked from
 * changed since: `files` are those, named as the user would (see snapshotNotes.ts), and `up` the
 * command that applies them (`kepler up`, or with the `-f` files that keep the snapshot's overlays).
 */
export function staleLine(files: readonly string[], up = 'kepler up'): string {
  const [subject, pronoun] =
    files.length === 1
      ? [`${files[0]} changed since it was baked`, 'it']
      : [`${files.join(', ')} changed since the config was baked`, 'them'];
  return `${subject}; ${up} applies ${pronoun} (${up} --dry-run shows how)`;
}
