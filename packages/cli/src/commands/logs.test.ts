import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Request } from '@kepler/protocol';
import { FakeDaemon, run } from '../testkit/fakeDaemon.js';
import { useScratchDir } from '../testkit/scratchDir.js';
import { FOLLOW_DEFAULT_TAIL, validateLogsFlags } from './logs.js';

const NOW = Date.UTC(2026, 0, 2, 12, 0, 0, 0);
const flags = (over: Partial<Parameters<typeof validateLogsFlags>[0]> = {}) =>
  validateLogsFlags(
    { head: undefined, tail: undefined, follow: false, json: false, raw: false, ...over },
    NOW,
  );

describe('validateLogsFlags: --since and --until', () => {
  it('turns durations and timestamps into ms since the epoch', () => {
    expect(flags({ since: '10m', until: '2026-01-02T11:55:00Z' })).toEqual({
      since: NOW - 600_000,
      until: Date.UTC(2026, 0, 2, 11, 55),
      follow: false,
      mode: 'text',
    });
    expect(flags({ since: '1h', tail: '5' })).toMatchObject({ since: NOW - 3_600_000, tail: 5 });
  });

  it('--follow --since sends the whole window first; --follow alone the last 10 lines', () => {
    expect(flags({ follow: true, since: '10m' })).toEqual({
      since: NOW - 600_000,
      follow: true,
      mode: 'text',
    });
    expect(flags({ follow: true, since: '10m', tail: '3' })).toMatchObject({ tail: 3 });
    expect(flags({ follow: true })).toMatchObject({ tail: FOLLOW_DEFAULT_TAIL });
  });

  it('refuses --until with --follow and a window that ends before it starts', () => {
    expect(() => flags({ follow: true, until: '1m' })).toThrow(
      '--until cannot be used with --follow (new lines are never before it)',
    );
    expect(() => flags({ since: '1m', until: '1h' })).toThrow('--since 1m is after --until 1h');
    expect(() => flags({ since: 'yesterday' })).toThrow('--since: "yesterday" is not a time');
  });
});

describe('kepler logs words', () => {
  const scratch = useScratchDir('kepler-cli-logs-');
  let daemon: FakeDaemon;
  beforeEach(async () => {
    daemon = await FakeDaemon.start((_req, reply) => reply.result<'logs'>({ lines: 0 }));
  });
  afterEach(() => daemon.stop());
  const last = (): Request => daemon.requests[daemon.requests.length - 1] as Request;

  it('-n N is --tail N; --since and --until go to the daemon as times', async () => {
    const config = scratch.file('kepler.yaml', 'services:\n  web:\n    command: ["sleep", "1"]\n');
    const env = { KEPLER_DAEMON_PATH: daemon.stateDir };
    expect((await run(['logs', '-n', '3', '-f', config, 'web'], env)).code).toBe(0);
    expect(last()).toMatchObject({ type: 'logs', tail: 3, services: ['web'] });
    expect(last()).not.toHaveProperty('since');
    const before = Date.now();
    await run(['logs', '-n', '2', '--since', '2026-01-02T11:55:00Z', '--until', '10m', '-f', config], env);
    const req = last() as Request & { since: number; until: number };
    expect(req).toMatchObject({ tail: 2, since: Date.UTC(2026, 0, 2, 11, 55) });
    expect(req.until).toBeGreaterThanOrEqual(before - 600_000);
    expect(req.until).toBeLessThanOrEqual(Date.now() - 600_000);
    await run(['logs', '--follow', '--since', '2026-01-02T11:00:00Z', '-f', config], env);
    expect(last()).toMatchObject({ follow: true, since: Date.UTC(2026, 0, 2, 11) });
    expect(last()).not.toHaveProperty('tail');
    expect((await run(['logs', '-n', '-1', '-f', config], env)).stderr).toBe(
      '--tail: "-1" is not a number of lines\n',
    );
  });

  it('-f NAME that names no config says that -f is --file and following is --follow', async () => {
    const env = { KEPLER_DAEMON_PATH: daemon.stateDir };
    const missing = join(scratch.path, 'web');
    const result = await run(['logs', '-f', missing], env);
    expect(result).toMatchObject({
      code: 1,
      stdout: '',
      stderr: `config file not found: ${missing}; -f is --file (the config file): to follow logs, use --follow\n`,
    });
    const dir = join(scratch.path, 'empty');
    mkdirSync(dir);
    expect((await run(['logs', '-f', dir], env)).stderr).toMatch(
      /^no kepler\.yaml or kepler\.yml in .*; -f is --file \(the config file\): to follow logs, use --follow\n$/,
    );
    expect(daemon.requests).toEqual([]);
  });
});
