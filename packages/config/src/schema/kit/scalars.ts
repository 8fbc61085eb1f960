/** Scalar schemas: strings, numbers, booleans, enums and the grammar-parsed duration, size and signal. */
import {
  DURATION_PATTERN,
  GrammarError,
  parseDuration,
  parseSignal,
  parseSize,
  SIGNAL_NAME_LIST,
  SIZE_PATTERN,
} from '../../grammar.js';
import { didYouMean } from '../../issues.js';
import { type Described, type JsonSchema, mismatch, type Schema, withDescription } from './schema.js';

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
 * The longest duration a config may give. Every config duration ends up as a timer delay, and Node's
 * timers hold at most 2^31-1 ms (about 24.8 days): a longer one fires at once (a 25d health interval
 * ran its check in a loop).
 */
export const MAX_DURATION_MS = 24 * 86_400_000;

/**
 * A duration in milliseconds (`100ms`, `10s`, `5m`, `1h`, `1d`; a bare number is seconds). `minMs`
 * rejects shorter ones (a 0 s health interval or restart backoff would spin: a fork storm); longer
 * than MAX_DURATION_MS is refused too.
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
      if (ms > MAX_DURATION_MS) {
        throw new GrammarError(`${JSON.stringify(input)} is too long: use at most 24d`);
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
