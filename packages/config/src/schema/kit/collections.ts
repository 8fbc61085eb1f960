/** Collection schemas: lists, maps with known keys (`object`) and maps with free-form keys (`record`). */
import { didYouMean, indexPath, joinPath, type Pos } from '../../issues.js';
import { type Described, mismatch, type Out, type Schema, withDescription } from './schema.js';

interface ListOptions extends Described {
  readonly minItems?: number;
}

/** A list; undefined when any item is invalid (so a half-decoded list never reaches later stages). */
export function list<T>(item: Schema<T>, opts: ListOptions = {}): Schema<T[]> {
  const expected =
    item.expected.startsWith('a ') || item.expected.startsWith('an ')
      ? `a list of ${plural(item.expected)}`
      : `a list (each ${item.expected})`;
  const self: Schema<T[]> = {
    expected,
    json: () =>
      withDescription(
        { type: 'array', items: item.json(), ...(opts.minItems ? { minItems: opts.minItems } : {}) },
        opts,
      ),
    decode(node, path, dc) {
      if (node.kind === 'map' && node.emptyLuaTable) return [];
      if (node.kind !== 'seq') return mismatch(self, node, path, dc);
      const out: T[] = [];
      let ok = true;
      node.items.forEach((child, i) => {
        const value = item.decode(child, indexPath(path, i), dc);
        if (value === undefined) ok = false;
        else out.push(value);
      });
      return ok ? out : undefined;
    },
  };
  return self;
}

function plural(expected: string): string {
  const noun = expected.replace(/^an? /, '');
  if (noun.endsWith('s')) return noun;
  return `${noun}s`;
}

/** Per-key positions and validity of a decoded map. */
export interface Located<K extends string> {
  /** Position of the map itself. */
  readonly $pos: Pos;
  /** Position of each present key's value. */
  readonly $at: { readonly [P in K]?: Pos };
  /** Keys present in the source whose values were invalid (already reported). */
  readonly $invalid: ReadonlySet<K>;
}

type Props = { readonly [key: string]: Schema<unknown> };

/** The decoded form of an `object` schema: every key optional, plus positions. */
export type ObjectOut<P extends Props> = { -readonly [K in keyof P]?: Out<P[K]> } & Located<keyof P & string>;

interface ObjectOptions<P extends Props> extends Described {
  readonly required?: readonly (keyof P & string)[];
  /** Extra keys matching this pattern are accepted and ignored (e.g. `x-` extension keys). */
  readonly extraKeys?: RegExp;
  /** Key descriptions for the JSON Schema `patternProperties` of `extraKeys`. */
  readonly extraKeysDescription?: string;
}

/** A map with known keys. Unknown keys are errors with a did-you-mean. */
export function object<P extends Props>(props: P, opts: ObjectOptions<P> = {}): Schema<ObjectOut<P>> {
  const keys = Object.keys(props);
  const self: Schema<ObjectOut<P>> = {
    expected: 'a map',
    json: () =>
      withDescription(
        {
          type: 'object',
          properties: Object.fromEntries(keys.map((key) => [key, (props[key] as Schema<unknown>).json()])),
          ...(opts.required?.length ? { required: [...opts.required] } : {}),
          ...(opts.extraKeys
            ? {
                patternProperties: {
                  [opts.extraKeys.source]: withDescription({}, { description: opts.extraKeysDescription }),
                },
              }
            : {}),
          additionalProperties: false,
        },
        opts,
      ),
    decode(node, path, dc) {
      if (node.kind !== 'map') return mismatch(self, node, path, dc);
      const out: Record<string, unknown> = {};
      const at: Record<string, Pos> = {};
      const invalid = new Set<string>();
      for (const entry of node.entries) {
        const schema = Object.hasOwn(props, entry.key) ? props[entry.key] : undefined;
        const childPath = joinPath(path, entry.key);
        if (!schema) {
          if (opts.extraKeys?.test(entry.key)) continue;
          const guess = didYouMean(entry.key, keys);
          const hint = guess ? `did you mean "${guess}"?` : `expected one of: ${keys.join(', ')}`;
          dc.issues.add(childPath, `unknown key "${entry.key}" (${hint})`, entry.keyPos);
          continue;
        }
        at[entry.key] = entry.value.pos;
        const value = schema.decode(entry.value, childPath, dc);
        if (value === undefined) invalid.add(entry.key);
        else out[entry.key] = value;
      }
      for (const key of opts.required ?? []) {
        if (!(key in at)) dc.issues.add(path, `missing required key "${key}"`, node.pos);
      }
      return { ...out, $pos: node.pos, $at: at, $invalid: invalid } as unknown as ObjectOut<P>;
    },
  };
  return self;
}

/** One entry of a decoded `record`. */
export interface RecordEntry<T> {
  readonly key: string;
  readonly keyPos: Pos;
  readonly value: T;
  readonly pos: Pos;
}

interface RecordOptions extends Described {
  /** Keys must match this pattern; `keyHint` explains it in the error. */
  readonly keyPattern?: RegExp;
  readonly keyHint?: string;
  readonly minEntries?: number;
  readonly emptyMessage?: string;
}

/** A map from free-form keys to values of one schema, decoded to entries in source order. */
export function record<T>(value: Schema<T>, opts: RecordOptions = {}): Schema<RecordEntry<T>[]> {
  const self: Schema<RecordEntry<T>[]> = {
    expected: 'a map',
    json: () =>
      withDescription(
        {
          type: 'object',
          ...(opts.keyPattern ? { propertyNames: { pattern: opts.keyPattern.source } } : {}),
          ...(opts.minEntries ? { minProperties: opts.minEntries } : {}),
          additionalProperties: value.json(),
        },
        opts,
      ),
    decode(node, path, dc) {
      if (node.kind !== 'map') return mismatch(self, node, path, dc);
      if (opts.minEntries && node.entries.length < opts.minEntries) {
        dc.issues.add(path, opts.emptyMessage ?? `needs at least ${opts.minEntries} entries`, node.pos);
      }
      const out: RecordEntry<T>[] = [];
      for (const entry of node.entries) {
        const childPath = joinPath(path, entry.key);
        if (opts.keyPattern && !opts.keyPattern.test(entry.key)) {
          dc.issues.add(
            childPath,
            `${JSON.stringify(entry.key)} ${opts.keyHint ?? `must match ${opts.keyPattern.source}`}`,
            entry.keyPos,
          );
          continue;
        }
        const decoded = value.decode(entry.value, childPath, dc);
        if (decoded !== undefined)
          out.push({ key: entry.key, keyPos: entry.keyPos, value: decoded, pos: entry.value.pos });
      }
      return out;
    },
  };
  return self;
}
