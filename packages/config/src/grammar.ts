/**
 * The small value grammars of the config language: durations, sizes, signals and exit-code filters.
 * Each parser returns a value or throws `GrammarError` with a message fit to show the user (the
 * caller adds the file, line and key path). Also the light entry point `@kepler/config/grammar` (no
 * YAML parser, no Lua), with which the CLI checks its `--timeout` and `--signal` flags.
 */
import { constants } from 'node:os';
import type { ExitCodeRange } from './types.js';

// The hook names, for readers of hook log files that must not load the pipeline (the daemon's logs).
export { GLOBAL_HOOK_NAMES, SERVICE_HOOK_NAMES } from './types.js';

/** Service names: lowercase letters, digits, `_` and `-`; `global` is reserved: global hooks log as `global.<hook>`. */
export const SERVICE_NAME_PATTERN = /^(?!global$)[a-z0-9_-]+$/;

/** A value that does not match its grammar. `message` is user-facing and names the accepted forms. */
export class GrammarError extends Error {
  override readonly name = 'GrammarError';
}

const MS_PER_UNIT: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};
const DURATION_PART = /(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h|d)/y;

/** The JSON Schema pattern for a duration string (kept beside the parser so the two agree). */
export const DURATION_PATTERN = '^\\s*((\\d+(\\.\\d+)?|\\.\\d+)(ms|s|m|h|d))+\\s*$|^\\s*\\d+(\\.\\d+)?\\s*$';

/**
 * Parses a duration to whole milliseconds: `100ms`, `10s`, `5m`, `1h`, `1d`, compounds such as `1m30s`,
 * decimals such as `1.5s`, and a bare number (string or number) meaning seconds. Negative values and
 * other units are rejected; this does not accept ISO-8601 (`PT5S`).
 */
export function parseDuration(input: string | number): number {
  const bad = () =>
    new GrammarError(`${JSON.stringify(input)} is not a duration (use 100ms, 10s, 5m, 1h, 1d)`);
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) throw bad();
    return Math.round(input * 1000);
  }
  const text = input.trim();
  if (text === '') throw bad();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  let total = 0;
  DURATION_PART.lastIndex = 0;
  while (DURATION_PART.lastIndex < text.length) {
    const match = DURATION_PART.exec(text);
    if (!match) throw bad();
    total += Number(match[1]) * (MS_PER_UNIT[match[2] ?? ''] ?? Number.NaN);
  }
  if (!Number.isFinite(total)) throw bad();
  return Math.round(total);
}

/**
 * Formats milliseconds as the largest exact unit (`1500` -> `1500ms`, `90000` -> `90s`, `3600000` -> `1h`).
 * The result always parses back to the same value with `parseDuration`.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return String(ms);
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

const BYTES_PER_UNIT: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
};

/** The JSON Schema pattern for a size string. */
export const SIZE_PATTERN = '^\\s*\\d+(\\.\\d+)?\\s*([bB]|[kKmMgG][bB]?)?\\s*$';

/** The largest size in whole GB that is still an exact integer of bytes (8 PiB). */
const MAX_SIZE_GB = Math.floor(Number.MAX_SAFE_INTEGER / 1024 ** 3);

/**
 * Parses a size to whole bytes: `512K`, `50MB`, `1G`, `1.5gb` (1024-based, case-insensitive; `B` optional)
 * and a bare number (string or number) meaning bytes. Fractions of a byte are floored. It does not accept
 * `KiB`-style or `T` units.
 */
export function parseSize(input: string | number): number {
  const bad = () =>
    new GrammarError(
      `${JSON.stringify(input)} is not a size (use 512K, 50MB, 1G: K, KB, M, MB, G, GB, 1024-based)`,
    );
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) throw bad();
    if (!Number.isSafeInteger(Math.floor(input))) {
      throw new GrammarError(`${input} is too large (at most ${MAX_SIZE_GB}G)`);
    }
    return Math.floor(input);
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(input);
  if (!match) throw bad();
  const unit = BYTES_PER_UNIT[(match[2] ?? '').toLowerCase()];
  if (unit === undefined) throw bad();
  const bytes = Math.floor(Number(match[1]) * unit);
  if (!Number.isSafeInteger(bytes)) {
    throw new GrammarError(`${JSON.stringify(input)} is too large (at most ${MAX_SIZE_GB}G)`);
  }
  return bytes;
}

/** Formats bytes with the largest exact 1024-based unit (`16384` -> `16KB`); parses back with `parseSize`. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return String(n);
  for (const [unit, size] of [
    ['GB', 1024 ** 3],
    ['MB', 1024 ** 2],
    ['KB', 1024],
  ] as const) {
    if (n >= size && n % size === 0) return `${n / size}${unit}`;
  }
  return `${n}B`;
}

/** A signal in canonical form. */
export interface SignalSpec {
  /** Canonical name, e.g. `SIGTERM` (aliases such as `SIGIOT` map to `SIGABRT`). */
  readonly name: string;
  readonly number: number;
}

const SIGNAL_ALIASES: Readonly<Record<string, string>> = {
  SIGIOT: 'SIGABRT',
  SIGPOLL: 'SIGIO',
  SIGUNUSED: 'SIGSYS',
};
const SIGNAL_NUMBERS: ReadonlyMap<string, number> = new Map(
  Object.entries(constants.signals).filter(([name]) => !(name in SIGNAL_ALIASES)),
);
const SIGNAL_NAMES: ReadonlyMap<number, string> = new Map(
  [...SIGNAL_NUMBERS].map(([name, number]) => [number, name] as const),
);

/**
 * Parses a signal given by name (`TERM`, `SIGTERM`, `sigterm`) or number (`15`, `"15"`) into its canonical
 * name and number on this platform. It does not accept real-time signals (`SIGRTMIN+1`) or signal 0.
 */
export function parseSignal(input: string | number): SignalSpec {
  const bad = () =>
    new GrammarError(
      `${JSON.stringify(input)} is not a signal (use a name like SIGTERM or TERM, or a number like 15)`,
    );
  const text = String(input).trim();
  if (/^\d+$/.test(text)) {
    const number = Number(text);
    const name = SIGNAL_NAMES.get(number);
    if (name === undefined) throw bad();
    return { name, number };
  }
  let name = text.toUpperCase();
  if (!name.startsWith('SIG')) name = `SIG${name}`;
  name = SIGNAL_ALIASES[name] ?? name;
  const number = SIGNAL_NUMBERS.get(name);
  if (number === undefined) throw bad();
  return { name, number };
}

/** Every canonical signal name known on this platform, sorted by number (for the JSON Schema). */
export const SIGNAL_NAME_LIST: readonly string[] = [...SIGNAL_NAMES.entries()]
  .sort((a, b) => a[0] - b[0])
  .map(([, name]) => name);

const MIN_EXIT_CODE = -1;
const MAX_EXIT_CODE = 255;

/** The JSON Schema pattern for one exit-code filter string: `5` or `1:10`. */
export const EXIT_CODE_PATTERN = '^\\s*-?\\d+\\s*(:\\s*-?\\d+\\s*)?$';

/**
 * Parses an exit-code filter: a list of codes and inclusive `"a:b"` ranges (`[5, "1:10"]`), or one such
 * item on its own. Codes run from -1 (killed by a signal) to 255. It does not merge overlapping ranges.
 */
export function parseExitCodeFilter(
  input: ReadonlyArray<string | number> | string | number,
): ExitCodeRange[] {
  const items = Array.isArray(input) ? input : [input as string | number];
  return items.map((item) => {
    const bad = (why: string) =>
      new GrammarError(`${JSON.stringify(item)} is not an exit code filter (${why})`);
    const match = /^\s*(-?\d+)\s*(?::\s*(-?\d+)\s*)?$/.exec(String(item));
    if (!match || (typeof item === 'number' && !Number.isInteger(item)))
      throw bad('use a code like 5 or a range like "1:10"');
    const min = Number(match[1]);
    const max = match[2] === undefined ? min : Number(match[2]);
    for (const code of [min, max]) {
      if (code < MIN_EXIT_CODE || code > MAX_EXIT_CODE)
        throw bad(`codes run from ${MIN_EXIT_CODE} to ${MAX_EXIT_CODE}`);
    }
    if (min > max) throw bad(`the range's start ${min} is after its end ${max}`);
    return { min, max };
  });
}

/** A `KEY=value` environment assignment, split. */
export interface Assignment {
  readonly key: string;
  readonly value: string;
}

/**
 * Splits a `KEY=value` environment assignment at its first `=` (the value may hold more `=`), as the
 * config's `environment` lists and the CLI's `-e` read it. Null without an `=`. The key may be empty
 * and its characters are not checked: each caller rejects those in its own words.
 */
export function splitAssignment(text: string): Assignment | null {
  const eq = text.indexOf('=');
  return eq < 0 ? null : { key: text.slice(0, eq), value: text.slice(eq + 1) };
}
