/** Schemas that choose or reshape: by YAML kind (`byKind`), the empty value (`nothing`), `transform`. */
import type { RawNode } from '../../parse.js';
import {
  type DecodeContext,
  type Described,
  type JsonSchema,
  mismatch,
  type Schema,
  withDescription,
} from './schema.js';

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
