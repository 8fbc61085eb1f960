/**
 * Docker compose's merge tags, for overlays: `!reset` removes the key from the merged config (its value
 * is ignored), `!override` replaces the other file's value instead of merging with it. `parse.ts` marks
 * the tagged nodes, `overlays.ts` applies them.
 */
export type MergeTag = 'reset' | 'override';

/** The tags as written in YAML. */
export const MERGE_TAGS: ReadonlyMap<string, MergeTag> = new Map([
  ['!reset', 'reset'],
  ['!override', 'override'],
]);
