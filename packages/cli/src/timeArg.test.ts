import { parseTimeArg } from './timeArg.js';

const NOW = Date.UTC(2026, 0, 2, 12, 0, 0, 0);
const at = (value: string) => parseTimeArg('--since', value, NOW);

describe('parseTimeArg', () => {
  it('reads a duration as that long before now', () => {
    expect(at('10m')).toBe(NOW - 600_000);
    expect(at('1h30m')).toBe(NOW - 5_400_000);
    expect(at('1.5h')).toBe(NOW - 5_400_000);
    expect(at('500ms')).toBe(NOW - 500);
    expect(at('2d')).toBe(NOW - 2 * 86_400_000);
  });

  it('reads RFC 3339 / ISO-8601 times with a zone as that instant', () => {
    expect(at('2026-01-02T13:23:37Z')).toBe(Date.UTC(2026, 0, 2, 13, 23, 37));
    expect(at('2026-01-02T13:23:37.123Z')).toBe(Date.UTC(2026, 0, 2, 13, 23, 37, 123));
    expect(at('2026-01-02T13:23:37.123456789Z')).toBe(Date.UTC(2026, 0, 2, 13, 23, 37, 123));
    expect(at('2026-01-02T13:23:37+01:00')).toBe(Date.UTC(2026, 0, 2, 12, 23, 37));
    expect(at('2026-01-02 13:23:37-0130')).toBe(Date.UTC(2026, 0, 2, 14, 53, 37));
    expect(at('2026-01-02T13:23Z')).toBe(Date.UTC(2026, 0, 2, 13, 23));
  });

  it('reads a time without a zone as local time, a date alone as its local midnight', () => {
    expect(at('2026-01-02T13:23:37')).toBe(new Date(2026, 0, 2, 13, 23, 37).getTime());
    expect(at('2026-01-02')).toBe(new Date(2026, 0, 2).getTime());
  });

  it('reads a bare number as Unix seconds, as docker does', () => {
    expect(at('1767360217')).toBe(1_767_360_217_000);
    expect(at('1767360217.5')).toBe(1_767_360_217_500);
  });

  it('refuses Unix seconds past the last instant a date can hold (ms or ns pasted as seconds)', () => {
    // These used to reach the daemon and come back as "bad request: request.since: expected a whole number".
    for (const big of ['99999999999999', '1796219950888600000']) {
      expect(() => at(big)).toThrow(
        `--since: "${big}" is too large for Unix seconds (past the year 275760; milliseconds or nanoseconds?)`,
      );
    }
    expect(at('8640000000000')).toBe(8.64e15);
  });

  it('refuses anything else, naming the flag and the forms', () => {
    for (const bad of [
      '',
      'soon',
      '10x',
      '-5m',
      '2026-13-01',
      '2026-02-30',
      '2026-01-02T25:00Z',
      '2026-1-2',
    ]) {
      expect(() => parseTimeArg('--until', bad, NOW)).toThrow(
        `--until: "${bad}" is not a time (use a duration such as 10m or 1h30m, or a timestamp such as 2026-01-02T13:23:37Z)`,
      );
    }
  });
});
