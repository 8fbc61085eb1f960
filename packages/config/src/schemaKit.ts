/**
 * A small schema kit: each schema is data that knows how to decode a positioned `RawNode` (reporting
 * every problem with its key path and position) and how to describe itself as JSON Schema. The Kepler
 * schema in `schema.ts` is written once with these combinators; normalisation and the editor schema
 * (`kepler.schema.json`) are both derived from it, so they cannot drift apart.
 */
import {
  DURATION_PATTERN,
  GrammarError,
  parseDuration,
  parseSignal,
  parseSize,
  SIGNAL_NAME_LIST,
  SIZE_PATTERN,
} from './grammar.js';
import { didYouMean, type IssueCollector, indexPath, joinPath, type Pos } from './issues.js';
import type { RawNode } from './parse.js';

/** A JSON Schema fragment (draft-07). */
export type JsonSchema = { readonly [key: string]: unknown };

/** Where decoding reports problems. */
export interface DecodeContext {
  readonly issues: IssueCollector;
}

/**
 * A schema for values of type `T`. `decode` returns undefined when the value is invalid, after reporting
 * why (or silently, for a value whose Lua evaluation already failed); it never throws for bad input.
 */
export interface Schema<T> {
  /** Noun phrase for messages: "a string", "a list of strings". */
  readonly expected: string;
  json(): JsonSchema;
  decode(node: RawNode, path: string, dc: DecodeContext): T | undefined;
}

/** The decoded type of a schema. */
export type Out<S> = S extends Schema<infer T> ? T : never;

interface Described {
  /** Shown by editors (JSON Schema `description`). */
  readonly description?: string;
}

function withDescription(json: JsonSchema, opts: Described | undefined): JsonSchema {
  return opts?.description ? { description: opts.description, ...json } : json;
}

/** How a node reads in a message: `"10x"`, `the number 5`, `a map`. */
export function describeNode(node: RawNode): string {
  switch (node.kind) {
    case 'scalar': {
      const { value } = node;
      if (value === null) return 'nothing';
      if (typeof value === 'string')
        return value.length > 60 ? `${JSON.stringify(value.slice(0, 57))}...` : JSON.stringify(value);
      if (typeof value === 'number') return `the number ${node.text ?? value}`;
      return `${value}`;
    }
    case 'map':
      return node.emptyLuaTable ? 'an empty table' : 'a map';
    case 'seq':
      return 'a list';
    default:
      return 'a Lua value';
  }
}

/** Reports `expected X, got Y` (with a hint for numbers where strings belong) and returns undefined. */
function mismatch(schema: { expected: string }, node: RawNode, path: string, dc: DecodeContext): undefined {
  if (node.kind === 'errored') return undefined;
  let hint = '';
  if (node.kind === 'scalar' && typeof node.value === 'number' && schema.expected.includes('string')) {
    const text = node.text ?? String(node.value);
    hint = node.fromLua ? ` (use tostring(${text}) in Lua)` : ` (quote it: "${text}")`;
  }
  if (node.kind === 'lua') {
    dc.issues.add(path, 'internal error: Lua value was not evaluated', node.pos);
    return undefined;
  }
  dc.issues.add(path, `expected ${schema.expected}, got ${describeNode(node)}${hint}`, node.pos);
  return undefined;
}

interface StringOptions extends Described {
  /** A readable message for strings that fail `check` (it returns the problem, or undefined when fine). */
  readonly check?: (value: string) => string | undefined;
  /** Accept YAML numbers and booleans as their source text (`user: 1000` -> "1000"). */
  readonly coerce?: boolean;
  readonly pattern?: string;
  readonly minLength?: number;
}

/** A string. */
export function string(opts: StringOptions = {}): Schema<string> {
  const self: Schema<string> = {
    expected: 'a string',
    json: () =>
      withDescription(
        {
          ...(opts.coerce ? { type: ['string', 'number'] } : { type: 'string' }),
          ...(opts.pattern ? { pattern: opts.pattern } : {}),
          ...(opts.minLength ? { minLength: opts.minLength } : {}),
        },
        opts,
      ),
    decode(node, path, dc) {
      if (node.kind !== 'scalar') return mismatch(self, node, path, dc);
      let value: string;
      if (typeof node.value === 'string') value = node.value;
      else if (opts.coerce && (typeof node.value === 'number' || typeof node.value === 'boolean')) {
        value = node.text ?? String(node.value);
      } else return mismatch(self, node, path, dc);
      if (opts.minLength && value.length < opts.minLength) {
        dc.issues.add(path, 'must not be empty', node.pos);
        return undefined;
      }
      const problem = opts.check?.(value);
      if (problem !== undefined) {
        dc.issues.add(path, problem, node.pos);
        return undefined;
      }
      return value;
    },
  };
  return self;
}

interface NumberOptions extends Described {
  readonly min?: number;
  readonly max?: number;
  readonly integer?: boolean;
}

/** A number (an integer when `integer` is set) within optional bounds. */
export function number(opts: NumberOptions = {}): Schema<number> {
  const self: Schema<number> = {
    expected: opts.integer ? 'an integer' : 'a number',
    json: () =>
      withDescription(
        {
          type: opts.integer ? 'integer' : 'number',
          ...(opts.min !== undefined ? { minimum: opts.min } : {}),
          ...(opts.max !== undefined ? { maximum: opts.max } : {}),
        },
        opts,
      ),
    decode(node, path, dc) {
      if (node.kind !== 'scalar' || typeof node.value !== 'number') return mismatch(self, node, path, dc);
      const { value } = node;
      if (!Number.isFinite(value) || (opts.integer && !Number.isInteger(value)))
        return mismatch(self, node, path, dc);
      if (opts.min !== undefined && value < opts.min) {
        dc.issues.add(path, `must be at least ${opts.min}, got ${value}`, node.pos);
        return undefined;
      }
      if (opts.max !== undefined && value > opts.max) {
        dc.issues.add(path, `must be at most ${opts.max}, got ${value}`, node.pos);
        return undefined;
      }
      return value;
    },
  };
  return self;
}

/** `true` or `false`. */
export function boolean(opts: Described = {}): Schema<boolean> {
  const self: Schema<boolean> = {
    expected: 'true or false',
    json: () => withDescription({ type: 'boolean' }, opts),
    decode(node, path, dc) {
      if (node.kind !== 'scalar' || typeof node.value !== 'boolean') return mismatch(self, node, path, dc);
      return node.value;
    },
  };
  return self;
}

/** One of a fixed set of strings. */
export function oneOf<const V extends string>(values: readonly V[], opts: Described = {}): Schema<V> {
  const list = values.join(', ');
  const self: Schema<V> = {
    expected: `one of ${list}`,
    json: () => withDescription({ type: 'string', enum: [...values] }, opts),
    decode(node, path, dc) {
      if (node.kind !== 'scalar' || typeof node.value !== 'string') return mismatch(self, node, path, dc);
      const value = node.value;
      if ((values as readonly string[]).includes(value)) return value as V;
      const guess = didYouMean(value, values);
      dc.issues.add(
        path,
        `${JSON.stringify(value)} is not one of ${list}${guess ? ` (did you mean "${guess}"?)` : ''}`,
        node.pos,
      );
      return undefined;
    },
  };
  return self;
}

/** A value parsed by one of the grammar functions from a string or a number. */
function grammar<T>(
  expected: string,
  parse: (input: string | number) => T,
  json: JsonSchema,
  opts: Described,
): Schema<T> {
  const self: Schema<T> = {
    expected,
    json: () => withDescription(json, opts),
    decode(node, path, dc) {
      if (node.kind !== 'scalar' || (typeof node.value !== 'string' && typeof node.value !== 'number')) {
        return mismatch(self, node, path, dc);
      }
      try {
        return parse(node.value);
      } catch (error) {
        if (!(error instanceof GrammarError)) throw error;
        dc.issues.add(path, error.message, node.pos);
        return undefined;
      }
    },
  };
  return self;
}

/**
 * A duration in milliseconds (`100ms`, `10s`, `5m`, `1h`, `1d`; a bare number is seconds). `minMs`
 * rejects shorter ones (a 0 s health interval or restart backoff would spin: a fork storm).
 */
export function duration(opts: Described & { minMs?: number } = {}): Schema<number> {
  const minMs = opts.minMs ?? 0;
  return grammar(
    'a duration',
    (input) => {
      const ms = parseDuration(input);
      if (ms < minMs) {
        throw new GrammarError(`${JSON.stringify(input)} is too short: use at least ${minMs}ms`);
      }
      return ms;
    },
    {
      anyOf: [
        { type: 'string', pattern: DURATION_PATTERN },
        { type: 'number', minimum: minMs / 1000 },
      ],
    },
    opts,
  );
}

/** A size in bytes (`512K`, `50MB`, `1G`; a bare number is bytes). */
export function size(opts: Described = {}): Schema<number> {
  return grammar(
    'a size',
    parseSize,
    {
      anyOf: [
        { type: 'string', pattern: SIZE_PATTERN },
        { type: 'integer', minimum: 0 },
      ],
    },
    opts,
  );
}

/** A signal, decoded to its canonical name (`TERM`, `9`, `SIGKILL` -> `SIGTERM`, `SIGKILL`, `SIGKILL`). */
export function signal(opts: Described = {}): Schema<string> {
  const names = SIGNAL_NAME_LIST.flatMap((name) => [name, name.slice(3)]);
  return grammar(
    'a signal',
    (input) => parseSignal(input).name,
    {
      anyOf: [
        { type: 'string', enum: names },
        { type: 'integer', minimum: 1 },
      ],
    },
    opts,
  );
}

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

interface KindVariants<S, M, Q, N> {
  readonly scalar?: Schema<S>;
  readonly map?: Schema<M>;
  readonly seq?: Schema<Q>;
  /** For an explicit null / empty value (`key:`). */
  readonly null?: Schema<N>;
}

/** A value whose accepted form depends on its YAML kind (e.g. `restart: always` or `restart: {policy}`). */
export function byKind<S = never, M = never, Q = never, N = never>(
  variants: KindVariants<S, M, Q, N>,
  opts: Described & { readonly expected: string },
): Schema<S | M | Q | N> {
  const self: Schema<S | M | Q | N> = {
    expected: opts.expected,
    json: () => {
      const options = [variants.scalar, variants.map, variants.seq, variants.null]
        .filter((variant): variant is Schema<never> => variant !== undefined)
        .map((variant) => variant.json());
      return withDescription(options.length === 1 ? (options[0] as JsonSchema) : { anyOf: options }, opts);
    },
    decode(node, path, dc) {
      let variant: Schema<S | M | Q | N> | undefined;
      if (node.kind === 'scalar' && node.value === null) variant = variants.null ?? variants.scalar;
      else if (node.kind === 'scalar') variant = variants.scalar;
      else if (node.kind === 'map')
        variant = node.emptyLuaTable ? (variants.map ?? variants.seq) : variants.map;
      else if (node.kind === 'seq') variant = variants.seq;
      if (!variant) return mismatch(self, node, path, dc);
      return variant.decode(node, path, dc);
    },
  };
  return self;
}

/** Accepts only an empty value (`key:` or `key: null`), decoding to `make()`. */
export function nothing<T>(make: () => T): Schema<T> {
  const self: Schema<T> = {
    expected: 'nothing',
    json: () => ({ type: 'null' }),
    decode(node, path, dc) {
      if (node.kind !== 'scalar' || node.value !== null) return mismatch(self, node, path, dc);
      return make();
    },
  };
  return self;
}

/**
 * Decodes with `schema`, then maps the value with `fn`. `fn` may report further problems through
 * `dc` and return undefined to mark the value invalid.
 */
export function transform<T, U>(
  schema: Schema<T>,
  fn: (value: T, node: RawNode, path: string, dc: DecodeContext) => U | undefined,
): Schema<U> {
  return {
    expected: schema.expected,
    json: () => schema.json(),
    decode(node, path, dc) {
      const value = schema.decode(node, path, dc);
      return value === undefined ? undefined : fn(value, node, path, dc);
    },
  };
}
