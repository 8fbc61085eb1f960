/** Raw-node plumbing for the Lua stage: Lua data to nodes, and maps rebuilt with evaluated values. */
import type { Pos } from '../issues.js';
import type { RawEntry, RawMap, RawNode } from '../parse.js';
import type { LuaPlain } from './LuaEvaluator.js';

/** The map with each entry's value replaced; entries whose value became nil are dropped. */
export function rebuild(map: RawMap, resolved: ReadonlyMap<RawEntry, RawNode | null>): RawMap {
  const entries: RawEntry[] = [];
  for (const entry of map.entries) {
    const value = resolved.has(entry) ? resolved.get(entry) : entry.value;
    if (value) entries.push(value === entry.value ? entry : { ...entry, value });
  }
  return { ...map, entries };
}

/** Plain Lua data -> raw nodes, all at the position of the `!lua` tag that produced them. */
export function fromPlain(value: LuaPlain, pos: Pos): RawNode | null {
  if (value === null) return null;
  if (typeof value !== 'object') return { kind: 'scalar', value, pos, fromLua: true };
  switch (value.t) {
    case 'empty':
      return { kind: 'map', entries: [], pos, fromLua: true, emptyLuaTable: true };
    case 'seq':
      return {
        kind: 'seq',
        items: value.items
          .map((item) => fromPlain(item, pos))
          .filter((item): item is RawNode => item !== null),
        pos,
        fromLua: true,
      };
    case 'map':
      return {
        kind: 'map',
        entries: value.entries.flatMap(([key, item]) => {
          const node = fromPlain(item, pos);
          return node ? [{ key, keyPos: pos, value: node }] : [];
        }),
        pos,
        fromLua: true,
      };
  }
}
