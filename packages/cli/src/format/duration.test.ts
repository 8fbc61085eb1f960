import { formatBytes, formatDuration, formatSince } from './duration.js';

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [999, '0s'],
    [1_000, '1s'],
    [59_999, '59s'],
    [60_000, '1m'],
    [192_000, '3m 12s'],
    [3_600_000, '1h'],
    [7_500_000, '2h 5m'],
    [86_400_000, '1d'],
    [273_600_000, '3d 4h'],
  ])('%d ms -> %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('renders negative and non-finite durations (clock skew) as 0s', () => {
    expect(formatDuration(-5_000)).toBe('0s');
    expect(formatDuration(Number.NaN)).toBe('0s');
  });
});

describe('formatSince', () => {
  it('measures from an ISO instant to now', () => {
    const now = Date.parse('2024-01-01T01:00:00.000Z');
    expect(formatSince('2024-01-01T00:58:30.000Z', now)).toBe('1m 30s');
  });

  it('is null for a missing or invalid instant', () => {
    expect(formatSince(null, 0)).toBeNull();
    expect(formatSince('not a date', 0)).toBeNull();
  });
});

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [512, '512 B'],
    [1536, '1.5 KiB'],
    [12 * 1024 * 1024, '12.0 MiB'],
    [3 * 1024 ** 3, '3.0 GiB'],
  ])('%d -> %s', (n, text) => {
    expect(formatBytes(n)).toBe(text);
  });
});
