/**
 * Overlays (`kepler -f kepler.yaml -f kepler.prod.yaml ...`): each later file is merged into the parsed
 * tree of the ones before it, before Lua runs, with docker compose's rules for the keys Kepler has
 * (compose-spec "Merge"):
 * - mappings merge key by key, recursively; a key only in the overlay is added;
 * - anything else (scalars, `command` and every other sequence, a `!lua` value) is replaced by the
 *   overlay's value as a whole;
 * - `environment` merges by variable name, the list form (`- KEY=value`) and the map form alike;
 * - `depends_on` merges by service, list and map forms alike; a bare name in the overlay adds the edge
 *   and leaves an existing edge's settings as they were;
 * - `restart: always` counts as `restart: {policy: always}` when the other file writes the map form;
 * - a probe (`healthcheck` test/http/tcp) or a hook's `run`/`command` given by the overlay replaces the
 *   other file's, so the merged map still holds exactly one;
 * - the top-level `lua:` blocks all run, in file order;
 * - compose's tags: `!reset` removes a key (in any file), `!override` replaces instead of merging.
 * Nodes keep their positions, and an overlay's positions name its file, so an error in a value from the
 * overlay points at the overlay.
 */
import { splitAssignment } from './grammar.js';
import { type IssueCollector, indexPath, joinPath } from './issues.js';
import type { MergeTag } from './mergeTags.js';
import type { RawConfig, RawEntry, RawMap, RawNode, RawScalar, RawSeq } from './parse.js';

/**
 * `raw` with `overlay` merged over it (the file and identity stay `raw`'s). Keys tagged `!reset` stay
 * in the result, so a later overlay can set them again: `resolveMergeTags` removes them at the end.
 */
export function mergeOverlay(raw: RawConfig, overlay: RawConfig, issues: IssueCollector): RawConfig {
  const hasMergeTags = raw.hasMergeTags === true || overlay.hasMergeTags === true;
  return {
    file: raw.file,
    root: mergeNode(raw.root, overlay.root, [], issues),
    hasLua: raw.hasLua || overlay.hasLua,
    ...(hasMergeTags ? { hasMergeTags } : {}),
  };
}

/** `raw` without the keys and list items tagged `!reset` (all files merged). */
export function resolveMergeTags(raw: RawConfig): RawConfig {
  return raw.hasMergeTags ? { ...raw, root: withoutResets(raw.root), hasMergeTags: false } : raw;
}

function withoutResets(node: RawNode): RawNode {
  if (node.kind === 'map') {
    const entries = node.entries
      .filter((entry) => !isReset(entry.value))
      .map((entry) => ({ ...entry, value: withoutResets(entry.value) }));
    return { ...node, entries };
  }
  if (node.kind === 'seq')
    return { ...node, items: node.items.filter((i) => !isReset(i)).map(withoutResets) };
  return node;
}

function mergeTagOf(node: RawNode): MergeTag | undefined {
  return node.kind === 'lua' || node.kind === 'errored' ? undefined : node.mergeTag;
}

function isReset(node: RawNode): boolean {
  return mergeTagOf(node) === 'reset';
}

type Rule = 'environment' | 'depends_on' | 'restart' | 'lua' | null;

/** Keys of which a map holds one: the overlay's choice removes the base's others. */
const PROBE_KEYS = ['test', 'http', 'tcp'];
const HOOK_BODY_KEYS = ['run', 'command'];

function matches(keys: readonly string[], pattern: readonly string[]): boolean {
  return keys.length === pattern.length && pattern.every((p, i) => p === '*' || p === keys[i]);
}

function ruleAt(keys: readonly string[]): Rule {
  if (
    matches(keys, ['services', '*', 'environment']) ||
    matches(keys, ['services', '*', 'hooks', '*', 'environment']) ||
    matches(keys, ['kepler', 'hooks', '*', 'environment'])
  )
    return 'environment';
  if (matches(keys, ['services', '*', 'depends_on'])) return 'depends_on';
  if (matches(keys, ['services', '*', 'restart'])) return 'restart';
  if (matches(keys, ['lua'])) return 'lua';
  return null;
}

function exclusiveKeysAt(keys: readonly string[]): readonly string[] {
  if (matches(keys, ['services', '*', 'healthcheck'])) return PROBE_KEYS;
  if (matches(keys, ['services', '*', 'hooks', '*']) || matches(keys, ['kepler', 'hooks', '*']))
    return HOOK_BODY_KEYS;
  return [];
}

function pathOf(keys: readonly string[]): string {
  return keys.reduce(joinPath, '');
}

function mergeNode(base: RawNode, over: RawNode, keys: readonly string[], issues: IssueCollector): RawNode {
  // `!override` and `!reset` replace; a key an earlier overlay reset is set afresh.
  if (mergeTagOf(over) !== undefined || isReset(base)) return over;
  switch (ruleAt(keys)) {
    case 'environment':
      return mergeEnvironment(base, over, pathOf(keys), issues);
    case 'depends_on':
      return mergeDependsOn(base, over, keys, issues);
    case 'restart':
      return mergeNode(restartAsMap(base, over), restartAsMap(over, base), [...keys, '(map)'], issues);
    case 'lua':
      return mergeLuaBlocks(base, over);
    default:
      if (base.kind === 'map' && over.kind === 'map') return mergeMaps(base, over, keys, issues);
      return over;
  }
}

/** Key by key: a key in both is merged (by the rules of its path), a key only in `over` is appended. */
function mergeMaps(base: RawMap, over: RawMap, keys: readonly string[], issues: IssueCollector): RawMap {
  const exclusive = exclusiveKeysAt(keys);
  const overKeys = new Set(over.entries.map((entry) => entry.key));
  const dropped = exclusive.some((key) => overKeys.has(key))
    ? new Set(exclusive.filter((key) => !overKeys.has(key)))
    : new Set<string>();
  const byKey = new Map(over.entries.map((entry) => [entry.key, entry]));
  const entries: RawEntry[] = [];
  for (const entry of base.entries) {
    if (dropped.has(entry.key)) continue;
    const other = byKey.get(entry.key);
    if (!other) {
      entries.push(entry);
      continue;
    }
    const value = mergeNode(entry.value, other.value, [...keys, entry.key], issues);
    // A replaced value is the overlay's entry, key position included; a merged one keeps the base's key.
    entries.push(value === other.value ? other : { ...entry, value });
    byKey.delete(entry.key);
  }
  entries.push(...byKey.values());
  return { ...base, entries };
}

/** `restart: always` as `{policy: always}` when `other` is the map form, so the two merge. */
function restartAsMap(node: RawNode, other: RawNode): RawNode {
  if (node.kind !== 'scalar' || other.kind !== 'map') return node;
  return { kind: 'map', entries: [{ key: 'policy', keyPos: node.pos, value: node }], pos: node.pos };
}

/** Every file's `lua:` block, in file order (each defines helpers for its own `!lua` values). */
function mergeLuaBlocks(base: RawNode, over: RawNode): RawNode {
  const blocks = (node: RawNode) => (node.kind === 'seq' ? node.items : [node]);
  if (!isLuaBlocks(base) || !isLuaBlocks(over)) return over;
  return { kind: 'seq', items: [...blocks(base), ...blocks(over)], pos: base.pos };
}

function isLuaBlocks(node: RawNode): boolean {
  const isCode = (n: RawNode) => n.kind === 'scalar' && typeof n.value === 'string';
  return isCode(node) || (node.kind === 'seq' && node.items.length > 0 && node.items.every(isCode));
}

/** A list item's key: the name before `=` in `KEY=value` (environment) or the whole name (depends_on). */
type ItemKey = (item: RawNode) => string | undefined;

const envItemKey: ItemKey = (item) => {
  if (item.kind !== 'scalar' || typeof item.value !== 'string') return undefined;
  const key = splitAssignment(item.value)?.key;
  return key === '' ? undefined : key;
};

const nameItemKey: ItemKey = (item) =>
  item.kind === 'scalar' && typeof item.value === 'string' && item.value !== '' ? item.value : undefined;

/**
 * Two lists merged by key: the base's items in order, each replaced by the overlay's item of the same
 * key; then the overlay's other items. Items without a key are kept (their own check reports them).
 */
function mergeKeyedLists(base: RawSeq, over: RawSeq, keyOf: ItemKey): RawSeq {
  const overByKey = new Map<string, RawNode>();
  for (const item of over.items) {
    const key = keyOf(item);
    if (key !== undefined) overByKey.set(key, item);
  }
  const seen = new Set<string>();
  const items: RawNode[] = [];
  for (const item of base.items) {
    const key = keyOf(item);
    if (key === undefined) items.push(item);
    else if (!seen.has(key)) {
      seen.add(key);
      items.push(overByKey.get(key) ?? item);
    }
  }
  for (const item of over.items) {
    const key = keyOf(item);
    if (key === undefined || !seen.has(key)) items.push(item);
    if (key !== undefined) seen.add(key);
  }
  return { ...base, items };
}

/**
 * A list as map entries, for merging with the other file's map form. An item that has no key cannot
 * be merged: it is reported (and left out) instead of silently changing meaning.
 */
function listAsEntries(
  seq: RawSeq,
  path: string,
  issues: IssueCollector,
  toEntry: (item: RawScalar & { value: string }) => RawEntry | undefined,
  what: string,
): RawEntry[] {
  const entries: RawEntry[] = [];
  seq.items.forEach((item, i) => {
    const entry =
      item.kind === 'scalar' && typeof item.value === 'string'
        ? toEntry(item as RawScalar & { value: string })
        : undefined;
    if (entry) entries.push(entry);
    else if (item.kind !== 'errored')
      issues.add(indexPath(path, i), `cannot be merged with the other file's map form: ${what}`, item.pos);
  });
  return entries;
}

function envEntry(item: RawScalar & { value: string }): RawEntry | undefined {
  const set = splitAssignment(item.value);
  if (set === null || set.key === '') return undefined;
  const value: RawScalar = { kind: 'scalar', value: set.value, pos: item.pos };
  return { key: set.key, keyPos: item.pos, value };
}

function mergeEnvironment(base: RawNode, over: RawNode, path: string, issues: IssueCollector): RawNode {
  if (base.kind === 'seq' && over.kind === 'seq') return mergeKeyedLists(base, over, envItemKey);
  const entriesOf = (node: RawNode): readonly RawEntry[] | undefined => {
    if (node.kind === 'map') return node.entries;
    if (node.kind === 'seq')
      return listAsEntries(node, path, issues, envEntry, 'write KEY=value, or use the map form in both');
    return undefined;
  };
  const baseEntries = entriesOf(base);
  const overEntries = entriesOf(over);
  // A `!lua` environment (or an error) cannot be merged by key before it is evaluated: it replaces.
  if (!baseEntries || !overEntries) return over;
  const byKey = new Map(overEntries.map((entry) => [entry.key, entry]));
  const entries = baseEntries.map((entry) => {
    const other = byKey.get(entry.key);
    byKey.delete(entry.key);
    return other ?? entry;
  });
  entries.push(...byKey.values());
  return { kind: 'map', entries, pos: base.pos };
}

function mergeDependsOn(
  base: RawNode,
  over: RawNode,
  keys: readonly string[],
  issues: IssueCollector,
): RawNode {
  if (base.kind === 'seq' && over.kind === 'seq') return mergeKeyedLists(base, over, nameItemKey);
  const path = pathOf(keys);
  const entriesOf = (node: RawNode): readonly RawEntry[] | undefined => {
    if (node.kind === 'map') return node.entries;
    if (node.kind === 'seq')
      return listAsEntries(
        node,
        path,
        issues,
        (item) =>
          item.value === ''
            ? undefined
            : { key: item.value, keyPos: item.pos, value: { kind: 'scalar', value: null, pos: item.pos } },
        'write a service name',
      );
    return undefined;
  };
  const baseEntries = entriesOf(base);
  const overEntries = entriesOf(over);
  if (!baseEntries || !overEntries) return over;
  // The overlay's bare name (`- db`, `db:`) for an edge the base has changes nothing.
  return mergeMaps(
    { kind: 'map', entries: baseEntries, pos: base.pos },
    { kind: 'map', entries: overEntries.filter((e) => !isBareIn(e, baseEntries)), pos: over.pos },
    [...keys, '(map)'],
    issues,
  );
}

/** Whether `entry` is a bare name (no settings) for an edge `baseEntries` already has. */
function isBareIn(entry: RawEntry, baseEntries: readonly RawEntry[]): boolean {
  const bare = entry.value.kind === 'scalar' && entry.value.value === null && !entry.value.mergeTag;
  return bare && baseEntries.some((b) => b.key === entry.key);
}
