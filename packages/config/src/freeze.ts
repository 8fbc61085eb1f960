/**
 * Immutability and content hashing for baked snapshots.
 */
import { createHash } from 'node:crypto';
import type { BakedConfig } from './types.js';

/**
 * Freezes `value` and everything reachable from it (plain objects and arrays), in place, and returns it.
 * It does not copy, and does not freeze Maps, Sets or class instances' internal state.
 */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

/**
 * JSON with object keys sorted at every level and no whitespace, so equal data always gives equal text.
 * Array order is kept. `undefined` properties are dropped, as `JSON.stringify` does.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(v).sort()) sorted[key] = (v as Record<string, unknown>)[key];
    return sorted;
  });
}

/** sha256 hex of `text`. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The content hash of a baked config: sha256 of the canonical JSON of everything except `hash` and
 * `bakedAt`. Two bakes of the same file with the same environment get the same hash.
 */
export function bakedConfigHash(baked: Omit<BakedConfig, 'hash' | 'bakedAt'> & Partial<BakedConfig>): string {
  const { hash: _hash, bakedAt: _bakedAt, ...content } = baked;
  return sha256Hex(canonicalJson(content));
}
