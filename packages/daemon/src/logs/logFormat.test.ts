import {
  encodePrefix,
  LOGGED_HOOK_NAMES,
  logFileName,
  logFileNamesOf,
  PREFIX_BYTES,
  parseLogFileName,
  parseTimestamp,
} from './logFormat.js';

describe('log file names', () => {
  it.each([
    [{ service: 'web', hook: null, stream: 'stdout' }, 'web.stdout.log'],
    [{ service: 'web', hook: null, stream: 'stderr' }, 'web.stderr.log'],
    [{ service: 'web', hook: 'pre_start', stream: 'stdout' }, 'web.pre_start.stdout.log'],
    [{ service: 'global', hook: 'on_init', stream: 'stderr' }, 'global.on_init.stderr.log'],
    [
      { service: 'api-v2', hook: 'post_healthcheck_fail', stream: 'stdout' },
      'api-v2.post_healthcheck_fail.stdout.log',
    ],
  ] as const)('%j <-> %s', (source, name) => {
    expect(logFileName(source)).toBe(name);
    expect(parseLogFileName(name)).toEqual(source);
  });

  it('ignores files that are not logs', () => {
    for (const name of ['web.stdout.log.123.tmp', 'notes.txt', '.stdout.log', 'web.log']) {
      expect(parseLogFileName(name)).toBeNull();
    }
  });

  it('rejects names that would leave the directory', () => {
    for (const service of ['', '.', '..', 'a/b', 'a\0b', 'a.b']) {
      expect(() => logFileName({ service, hook: null, stream: 'stdout' })).toThrow(
        expect.objectContaining({ code: 'LOG_BAD_SOURCE' }),
      );
    }
    expect(() => logFileName({ service: 'web', hook: '../x', stream: 'stdout' })).toThrow();
  });
});

describe('timestamps', () => {
  it('round-trips through the record prefix', () => {
    for (const ts of [0, Date.UTC(2025, 0, 2, 3, 4, 5, 678), Date.UTC(2099, 11, 31, 23, 59, 59, 999)]) {
      const prefix = encodePrefix(ts);
      expect(prefix).toHaveLength(PREFIX_BYTES);
      expect(prefix.toString('latin1')).toBe(`${new Date(ts).toISOString()} `);
      expect(parseTimestamp(Buffer.concat([prefix, Buffer.from('line')]), 0, PREFIX_BYTES + 4)).toBe(ts);
    }
  });

  it('refuses bytes that are not a timestamp and a space', () => {
    const bad = [
      '2025-01-02T03:04:05.678Z',
      '2025-01-02 03:04:05.678Z x',
      '2025-0a-02T03:04:05.678Z x',
      'hello',
    ];
    for (const s of bad) expect(parseTimestamp(Buffer.from(s), 0, s.length)).toBeNaN();
  });
});

describe('logFileNamesOf', () => {
  test('the hook names with files are exactly the config package hook names', async () => {
    const { GLOBAL_HOOK_NAMES, SERVICE_HOOK_NAMES } = await import('@kepler/config');
    expect([...LOGGED_HOOK_NAMES].sort()).toEqual(
      [...new Set([...SERVICE_HOOK_NAMES, ...GLOBAL_HOOK_NAMES])].sort(),
    );
  });

  test('every name parses back to the service, with or without hooks', () => {
    const names = logFileNamesOf('api', false);
    expect(names).toHaveLength(2 * (1 + LOGGED_HOOK_NAMES.length));
    for (const n of names) expect(parseLogFileName(n)?.service).toBe('api');
    expect(logFileNamesOf('api', true)).toEqual(['api.stdout.log', 'api.stderr.log']);
  });
});
