import type { SnapshotNote } from '@kepler/protocol';
import type { ConfigActor } from '../../config/ConfigActor.js';

/**
 * What `start`, `restart` and `ps` tell the CLI about the config's running snapshot (see
 * SnapshotNote): the files it was baked from that changed since (one `stat` each), and its overlays
 * when they differ from `requested` (the request's, in order; undefined for `ps --all`, which names
 * none). Undefined when there is nothing to tell.
 */
export function snapshotNote(actor: ConfigActor, requested?: readonly string[]): SnapshotNote | undefined {
  const changed = actor.changedSourcePaths();
  const overlays = actor.baked.overlays ?? [];
  const differ = requested !== undefined && !sameList(requested, overlays);
  if (changed.length === 0 && !differ) return undefined;
  return { config: actor.path, overlays: [...overlays], changed };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
