import {
  formatBytes,
  formatDuration,
  GrammarError,
  parseDuration,
  parseExitCodeFilter,
  parseSignal,
  parseSize,
  splitAssignment,
} from './grammar.js';

describe('parseDuration', () => {
  it.each([
    ['100ms', 100],
    ['10s', 10_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    ['0s', 0],
    [' 2s ', 2000],
    ['30', 30_000],
    [30, 30_000],
    [0.25, 250],
  ])('%p -> %p ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each(['10x', '', 's', '-5s', '5 s', '1w', 'ten', '5sm'])(
    'rejects %p with the accepted forms',
    (input) => {
      expect(() => parseDuration(input)).toThrow(GrammarError);
      expect(() => parseDuration(input)).toThrow(
        `${JSON.stringify(input)} is not a duration (use 100ms, 10s, 5m, 1h, 1d)`,
      );
    },
  );

  it('rejects negative and non-finite numbers', () => {
    expect(() => parseDuration(-1)).toThrow('-1 is not a duration');
    expect(() => parseDuration(Number.NaN)).toThrow(GrammarError);
  });

  it('formatDuration picks the largest exact unit and round-trips', () => {
    expect(formatDuration(1500)).toBe('1500ms');
    expect(formatDuration(90_000)).toBe('90s');
    expect(formatDuration(300_000)).toBe('5m');
    expect(formatDuration(3_600_000)).toBe('1h');
    expect(formatDuration(86_400_000)).toBe('1d');
    expect(formatDuration(0)).toBe('0ms');
    for (const ms of [1, 999, 1000, 61_000, 7_200_000]) expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
});

describe('parseSize', () => {
  it.each([
    ['512', 512],
    [512, 512],
    ['1K', 1024],
    ['1KB', 1024],
    ['2048k', 2048 * 1024],
    ['512M', 512 * 1024 ** 2],
    ['50MB', 50 * 1024 ** 2],
    ['50mb', 50 * 1024 ** 2],
    ['1G', 1024 ** 3],
    ['2gB', 2 * 1024 ** 3],
    ['1.5K', 1536],
    ['10B', 10],
    [' 16 KB ', 16 * 1024],
  ])('%p -> %p bytes', (input, bytes) => {
    expect(parseSize(input)).toBe(bytes);
  });

  it.each(['10X', 'MB', '', '1T', '1KiB', '-1K', 'lots'])('rejects %p', (input) => {
    expect(() => parseSize(input)).toThrow(
      `${JSON.stringify(input)} is not a size (use 512K, 50MB, 1G: K, KB, M, MB, G, GB, 1024-based)`,
    );
  });

  it('rejects sizes too large to be an exact number of bytes', () => {
    expect(() => parseSize('99999999G')).toThrow('"99999999G" is too large (at most 8388607G)');
    expect(parseSize('8388607G')).toBe(8388607 * 1024 ** 3);
  });

  it('formatBytes picks the largest exact unit and round-trips', () => {
    expect(formatBytes(16384)).toBe('16KB');
    expect(formatBytes(50 * 1024 ** 2)).toBe('50MB');
    expect(formatBytes(1024 ** 3)).toBe('1GB');
    expect(formatBytes(1500)).toBe('1500B');
    for (const n of [0, 1, 1024, 1536, 3 * 1024 ** 2]) expect(parseSize(formatBytes(n))).toBe(n);
  });
});

describe('parseSignal', () => {
  it.each([
    ['TERM', 'SIGTERM', 15],
    ['SIGTERM', 'SIGTERM', 15],
    ['sigkill', 'SIGKILL', 9],
    ['kill', 'SIGKILL', 9],
    ['9', 'SIGKILL', 9],
    [15, 'SIGTERM', 15],
    ['HUP', 'SIGHUP', 1],
    ['INT', 'SIGINT', 2],
    ['USR1', 'SIGUSR1', 10],
    ['IOT', 'SIGABRT', 6],
    [6, 'SIGABRT', 6],
  ])('%p -> %s (%d)', (input, name, number) => {
    expect(parseSignal(input)).toEqual({ name, number });
  });

  it.each(['FOO', 'SIG', '', '0', '999', 'SIGRTMIN+1'])('rejects %p', (input) => {
    expect(() => parseSignal(input)).toThrow(
      `${JSON.stringify(input)} is not a signal (use a name like SIGTERM or TERM, or a number like 15)`,
    );
  });
});

describe('parseExitCodeFilter', () => {
  it('parses codes and ranges', () => {
    expect(parseExitCodeFilter([5, '1:10'])).toEqual([
      { min: 5, max: 5 },
      { min: 1, max: 10 },
    ]);
    expect(parseExitCodeFilter('3')).toEqual([{ min: 3, max: 3 }]);
    expect(parseExitCodeFilter(0)).toEqual([{ min: 0, max: 0 }]);
    expect(parseExitCodeFilter(['-1', ' 2 : 4 '])).toEqual([
      { min: -1, max: -1 },
      { min: 2, max: 4 },
    ]);
    expect(parseExitCodeFilter([])).toEqual([]);
  });

  it('rejects malformed items, out-of-range codes and reversed ranges', () => {
    expect(() => parseExitCodeFilter(['a'])).toThrow(
      '"a" is not an exit code filter (use a code like 5 or a range like "1:10")',
    );
    expect(() => parseExitCodeFilter([1.5])).toThrow('1.5 is not an exit code filter');
    expect(() => parseExitCodeFilter(['1:2:3'])).toThrow('is not an exit code filter');
    expect(() => parseExitCodeFilter([256])).toThrow(
      '256 is not an exit code filter (codes run from -1 to 255)',
    );
    expect(() => parseExitCodeFilter(['10:1'])).toThrow(
      '"10:1" is not an exit code filter (the range\'s start 10 is after its end 1)',
    );
  });
});

describe('splitAssignment', () => {
  test('splits at the first `=`; the value may be empty or hold more `=`', () => {
    expect(splitAssignment('A=1')).toEqual({ key: 'A', value: '1' });
    expect(splitAssignment('URL=a=b=c')).toEqual({ key: 'URL', value: 'a=b=c' });
    expect(splitAssignment('EMPTY=')).toEqual({ key: 'EMPTY', value: '' });
  });

  test('no `=` is no assignment; an empty key is left to the caller', () => {
    expect(splitAssignment('PATH')).toBeNull();
    expect(splitAssignment('')).toBeNull();
    expect(splitAssignment('=x')).toEqual({ key: '', value: 'x' });
  });
});
