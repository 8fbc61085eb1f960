/**
 * The field checkers every message parser is built from. Each takes a decoded `unknown` and the path
 * to it (`request.config.path`) and returns the value with its declared type, or throws a
 * `FieldError` naming that path. The entry points in frames.ts turn a FieldError into BAD_REQUEST or
 * BAD_FRAME.
 */

import { types } from 'node:util';
import { SERVICE_STATUSES } from '../messages.js';

/** A field failed a check; turned into BAD_REQUEST or BAD_FRAME by the entry points. */
export class FieldError extends Error {}

export type Obj = { readonly [key: string]: unknown };
export type Check<T> = (value: unknown, path: string) => T;

/** Keys of T that are optional (`k?:`). */
type OptionalKeys<T> = { [K in keyof T]-?: T extends Record<K, unknown> ? never : K }[keyof T];
/** T with every key spelled out (optional ones may be `undefined`). */
// Mapping over key unions (not `keyof T` directly) drops the `?` modifiers and keeps `| undefined`.
type Complete<T> = { [K in OptionalKeys<T>]: T[K] | undefined } & {
  [K in Exclude<keyof T, OptionalKeys<T>>]: T[K];
};
/**
 * One check per key of T, optional keys included: a field added to a message type, optional or not,
 * is a compile error where its parser is declared until it is checked.
 */
export type FieldChecks<T> = { readonly [K in keyof Complete<T>]: Check<Complete<T>[K]> };

export function fail(path: string, message: string): never {
  throw new FieldError(`${path}: ${message}`);
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (types.isUint8Array(value)) return 'binary data';
  if (typeof value === 'object') return isPlainObject(value) ? 'an object' : 'a non-plain object';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : `the number ${value}`;
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 40))}`;
  return `a ${typeof value}`;
}

export function isPlainObject(value: unknown): value is Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export function obj(value: unknown, path: string): Obj {
  if (!isPlainObject(value)) fail(path, `expected an object, got ${describe(value)}`);
  return value;
}

export function str(value: unknown, path: string): string {
  if (typeof value !== 'string') fail(path, `expected a string, got ${describe(value)}`);
  return value;
}

export function nonEmptyStr(value: unknown, path: string): string {
  const s = str(value, path);
  if (s === '') fail(path, 'must not be empty');
  return s;
}

/** A non-empty string starting with `/`. */
export function absolutePath(value: unknown, path: string): string {
  const s = nonEmptyStr(value, path);
  if (!s.startsWith('/')) fail(path, `must be an absolute path, got ${describe(s)}`);
  return s;
}

export function bool(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') fail(path, `expected true or false, got ${describe(value)}`);
  return value;
}

/** A safe integer >= 0 (counts, ids, pids, sizes). */
export function count(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    fail(path, `expected a whole number >= 0, got ${describe(value)}`);
  }
  return value;
}

/** Any safe integer (exit codes may be negative on the wire from other platforms). */
export function integer(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    fail(path, `expected a whole number, got ${describe(value)}`);
  }
  return value;
}

/** A finite number >= 0 (milliseconds, timestamps, byte counts). */
export function nonNegative(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    fail(path, `expected a number >= 0, got ${describe(value)}`);
  }
  return value;
}

/** A number from 0 to `max` (a wait a timer can hold). */
export function upTo(max: number): Check<number> {
  return (value, path) => {
    const n = nonNegative(value, path);
    if (n > max) fail(path, `expected at most ${max}, got ${n}`);
    return n;
  };
}

export function bytes(value: unknown, path: string): Uint8Array {
  if (!types.isUint8Array(value)) fail(path, `expected binary data, got ${describe(value)}`);
  return value;
}

export function oneOf<const T extends string>(values: readonly T[]): Check<T> {
  return (value, path) => {
    const found = values.find((v) => v === value);
    if (found === undefined) {
      fail(path, `expected one of ${values.join(', ')}, got ${describe(value)}`);
    }
    return found;
  };
}

/** Absent (`undefined`) stays absent; `null` is not accepted for an optional field. */
export function optional<T>(check: Check<T>): Check<T | undefined> {
  return (value, path) => (value === undefined ? undefined : check(value, path));
}

export function nullable<T>(check: Check<T>): Check<T | null> {
  return (value, path) => (value === null ? null : check(value, path));
}

export function arrayOf<T>(check: Check<T>): Check<T[]> {
  return (value, path) => {
    if (!Array.isArray(value)) fail(path, `expected an array, got ${describe(value)}`);
    return value.map((item: unknown, i) => check(item, `${path}[${i}]`));
  };
}

/**
 * An object checked field by field, in the order the checks are listed, into a new object (the
 * decoded one is never returned). Unknown extra fields are dropped: a newer peer may add optional
 * ones. Absent optional fields stay absent.
 */
export function record<T>(checks: FieldChecks<T>): Check<T> {
  const entries: [string, Check<unknown>][] = Object.entries(checks);
  return (value, path) => {
    const o = obj(value, path);
    const out: Record<string, unknown> = {};
    for (const [key, check] of entries) {
      const v = check(o[key], `${path}.${key}`);
      if (v !== undefined) out[key] = v;
    }
    // Sound: FieldChecks<T> has a check for every key of T, and each value came out of its check.
    return out as T;
  };
}

/** A string field that must be exactly `value` (a message's `type`, once the dispatcher chose by it). */
export function literal<const T extends string>(value: T): Check<T> {
  return oneOf([value]);
}

export const strings = arrayOf(nonEmptyStr);
export const status = oneOf(SERVICE_STATUSES);
