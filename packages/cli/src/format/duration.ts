/**
 * Human renderings of durations and sizes, as shown by `ps`, `daemon status` and `prune`.
 * Rendering only: parsing the config's duration grammar is @kepler/config's `parseDuration`.
 */

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/**
 * A duration in at most two units, truncated (never rounded up): `0s`, `45s`, `3m 12s`, `2h 5m`,
 * `3d 4h`. Negative or non-finite inputs render as `0s` (clock skew must not print garbage).
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '0s';
  if (ms < MINUTE_MS) return `${Math.floor(ms / SECOND_MS)}s`;
  if (ms < HOUR_MS) return pair(ms, MINUTE_MS, 'm', SECOND_MS, 's');
  if (ms < DAY_MS) return pair(ms, HOUR_MS, 'h', MINUTE_MS, 'm');
  return pair(ms, DAY_MS, 'd', HOUR_MS, 'h');
}

function pair(ms: number, bigMs: number, big: string, smallMs: number, small: string): string {
  const hi = Math.floor(ms / bigMs);
  const lo = Math.floor((ms - hi * bigMs) / smallMs);
  return lo === 0 ? `${hi}${big}` : `${hi}${big} ${lo}${small}`;
}

/** Time elapsed from an ISO-8601 instant to `nowMs`, as `formatDuration`; null for a missing or bad instant. */
export function formatSince(iso: string | null, nowMs: number): string | null {
  if (iso === null) return null;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return null;
  return formatDuration(nowMs - t);
}

const BYTE_UNITS = ['KiB', 'MiB', 'GiB', 'TiB'] as const;

/** A size in 1024-based units with one decimal: `512 B`, `1.5 KiB`, `12.0 MiB`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1024) return `${Math.max(0, Math.floor(bytes || 0))} B`;
  let value = bytes;
  let unit: string = 'B';
  for (const next of BYTE_UNITS) {
    if (value < 1024) break;
    value /= 1024;
    unit = next;
  }
  return `${value.toFixed(1)} ${unit}`;
}
