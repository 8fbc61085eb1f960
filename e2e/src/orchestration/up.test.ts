/**
 * `kepler up` (bake afresh, print the plan, apply only what changed), `kepler down`, stale snapshots
 * (`start`/`restart`/`ps` say so; `ps --json` has `stale`) and `recreate`'s hint while services run.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { TestDaemon } from '../testkit.js';
import { Scenario } from './helpers.js';

jest.setTimeout(120_000);

const d = new TestDaemon('kepler-e2e-up');
beforeAll(() => d.start());
afterAll(() => d.cleanup());

const STALE = /changed since it was baked; kepler up applies it \(kepler up --dry-run shows how\)/;

/** The plan lines of `up`'s output, spaces collapsed: `api recreate environment: +DEBUG`. */
function planOf(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((l) => l.replace(/\s+/g, ' ').trim())
    .filter((l) => /^\S+ (unchanged|recreate|restart|create|remove)\b/.test(l) || l.startsWith('kepler.'));
}

async function pids(s: Scenario): Promise<Record<string, unknown>> {
  return Object.fromEntries((await s.ps()).map((x) => [x.name, x.pid]));
}

const STACK = (api: string, tail: string) => `
services:
  db:
    command: ["sleep", "300"]
  api:
    command: ["sleep", "300"]
    depends_on: [db]
${api}
  worker:
    command: ["sleep", "300"]
    depends_on:
      api:
        restart: true
${tail}`;

const API_V1 = `    environment:
      PORT: "80"
    healthcheck:
      test: ["true"]
      interval: 10s
      start_period: 0s`;
const API_V2 = `    environment:
      PORT: "81"
      DEBUG: "1"
    healthcheck:
      test: ["true"]
      interval: 5s
      start_period: 0s`;

describe('up', () => {
  test('prints the plan; --dry-run changes nothing; up recreates only what changed, keeping the rest', async () => {
    const s = new Scenario(d, 'plan', STACK(API_V1, `  old:\n    command: ["sleep", "300"]\n`));
    await s.ok(['start', '-d', '--wait']);
    const before = await pids(s);

    writeFileSync(s.config, STACK(API_V2, `  cache:\n    command: ["sleep", "300"]\n`));
    const dry = await s.ok(['up', '--dry-run']);
    expect(planOf(dry.stdout)).toEqual([
      'db unchanged',
      'api recreate environment: +DEBUG, ~PORT; healthcheck.interval 10s -> 5s',
      'worker restart depends on api (restart: true)',
      'cache create',
      'old remove (stopped, its logs kept until prune)',
    ]);
    expect(await pids(s)).toEqual(before);
    expect((await s.ps()).map((x) => x.name)).toEqual(['db', 'api', 'worker', 'old']);

    const json = JSON.parse((await s.ok(['up', '--dry-run', '--json'])).stdout);
    expect(json).toMatchObject({ dry_run: true, started: [] });
    expect(json.services[1]).toEqual({
      service: 'api',
      action: 'recreate',
      reasons: ['environment: +DEBUG, ~PORT', 'healthcheck.interval 10s -> 5s'],
    });

    const up = await s.ok(['up', '-d', '--wait']);
    expect(planOf(up.stdout)[1]).toBe(
      'api recreate environment: +DEBUG, ~PORT; healthcheck.interval 10s -> 5s',
    );
    const after = await pids(s);
    expect(after.db).toBe(before.db);
    expect(after.api).not.toBe(before.api);
    expect(after.worker).not.toBe(before.worker);
    expect(Object.keys(after)).toEqual(['db', 'api', 'worker', 'cache']);
    expect((await s.svc('cache')).status).toBe('running');
    expect(typeof before.old === 'number' && existsSync(`/proc/${before.old}`)).toBe(false);

    // Applied: the next up has nothing to do and is a start.
    const again = await s.ok(['up', '-d']);
    expect(planOf(again.stdout)).toEqual([
      'db unchanged',
      'api unchanged',
      'worker unchanged',
      'cache unchanged',
    ]);
    expect(await pids(s)).toEqual(after);
    await s.ok(['stop']);
  });

  test('a plan line for each kind of change', async () => {
    const yaml = (v: Record<string, string>) => `
${v.kepler ?? ''}
services:
  a:
    command: ${v.a ?? '["sleep", "300"]'}
  b:
    command: ["sleep", "300"]
    environment:
      KEEP: "1"
${v.b ?? '      GONE: "1"'}
  c:
    command: ["sleep", "300"]
    env_file: .env
  d:
    command: ["sleep", "300"]
${v.d ?? ''}
`;
    const s = new Scenario(d, 'kinds', yaml({}));
    s.write('.env', 'X=1\n');
    await s.ok(['start', '-d', '--wait']);
    writeFileSync(
      s.config,
      yaml({
        a: '["sleep", "301"]',
        b: '',
        d: '    depends_on: [a]',
        kepler: 'kepler:\n  logs:\n    timestamp: false',
      }),
    );
    s.write('.env', 'X=2\n');
    const dry = await s.ok(['up', '--dry-run']);
    expect(planOf(dry.stdout)).toEqual([
      'a recreate command; logs.timestamp true -> false',
      'b recreate environment: -GONE; logs.timestamp true -> false',
      'c recreate environment: ~X; env_file .env changed; logs.timestamp true -> false',
      'd recreate depends_on: +a; logs.timestamp true -> false',
      'kepler.logs: affects a, b, c, d',
    ]);
    await s.ok(['stop']);
  });

  test('a bad edit changes nothing: exit 1 with the position, everything keeps running', async () => {
    const s = new Scenario(d, 'bad', 'services:\n  a:\n    command: ["sleep", "300"]\n');
    await s.ok(['start', '-d', '--wait']);
    const before = await pids(s);
    writeFileSync(s.config, 'services:\n  a:\n    command: ["sleep", "300"]\n    restart: sometimes\n');
    const r = await s.cli(['up', '-d']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/kepler\.yaml:4:\d+/);
    expect(await pids(s)).toEqual(before);
    expect((await s.svc('a')).status).toBe('running');
    await s.ok(['stop']);
  });

  test('the foreground mode prints the plan, then follows until the services end', async () => {
    const s = new Scenario(d, 'fg', 'services:\n  job:\n    command: ["sh", "-c", "echo hello-up"]\n');
    const r = await s.ok(['up']);
    expect(planOf(r.stdout)).toEqual(['job unchanged']);
    expect(r.stdout).toMatch(/hello-up/);
  });
});

describe('down', () => {
  test('stops everything and forgets the snapshot: the next up bakes the edited file', async () => {
    const s = new Scenario(
      d,
      'down',
      'services:\n  a:\n    command: ["sh", "-c", "echo v1 >> $REC; sleep 300"]\n',
    );
    await s.ok(['start', '-d', '--wait']);
    const snapshot = join(d.configStateDir(s.config), 'expanded_config.yaml');
    expect(existsSync(snapshot)).toBe(true);
    writeFileSync(s.config, `services:\n  a:\n    command: ["sh", "-c", "echo v2 >> ${s.rec}; sleep 300"]\n`);
    const down = await s.ok(['down']);
    expect(down.stdout).toMatch(/Stopped a/);
    expect(existsSync(snapshot)).toBe(false);
    expect((await s.cli(['ps'])).stderr).toMatch(/is not loaded/);
    const up = await s.ok(['up', '-d', '--wait']);
    expect(planOf(up.stdout)).toEqual(['a unchanged']);
    await s.waitLine('v2');
    expect(s.lines()).toEqual(['v1', 'v2']);
    await s.ok(['down', '--clean']);
    expect(existsSync(d.configStateDir(s.config))).toBe(false);
  });
});

describe('up --dry-run', () => {
  test('on a config the daemon has not loaded prints the plan and leaves it unloaded', async () => {
    const s = new Scenario(d, 'dry-unloaded', 'services:\n  a:\n    command: ["sleep", "300"]\n');
    const r = await s.ok(['up', '--dry-run']);
    expect(planOf(r.stdout)).toEqual(['a unchanged']);
    expect((await s.cli(['ps'])).stderr).toMatch(/is not loaded/);
    expect(existsSync(join(d.configStateDir(s.config), 'expanded_config.yaml'))).toBe(false);
    expect((await s.cli(['up', '--dry-run', 'nope'])).stderr).toMatch(/no such service in .*: nope/);
  });
});

describe('stale snapshots', () => {
  test('start, restart and ps say so after an env file changed; ps --json has stale; up clears it', async () => {
    const s = new Scenario(
      d,
      'stale',
      'services:\n  a:\n    command: ["sleep", "300"]\n    env_file: .env\n',
    );
    s.write('.env', 'A=1\n');
    const first = await s.ok(['start', '-d']);
    expect(first.stderr).not.toMatch(STALE);
    expect((await s.ps())[0]!.stale).toBe(false);

    s.write('.env', 'A=2\n');
    // As the user named the file: here from its directory, without -f.
    const start = await d.cli(['start', '-d'], { cwd: s.dir });
    // The file that changed is named, not the config.
    expect(start.stderr).toMatch(/^\.env changed since it was baked/m);
    expect((await s.cli(['restart', '-d'])).stderr.match(STALE)?.length).toBe(1);
    expect((await s.cli(['ps'])).stderr).toMatch(STALE);
    expect((await s.ps())[0]!.stale).toBe(true);

    await s.ok(['up', '-d', '--wait']);
    expect((await s.ps())[0]!.stale).toBe(false);
    expect((await s.cli(['ps'])).stderr).not.toMatch(STALE);
    await s.ok(['stop']);
  });

  test('what a snapshot was baked from survives a daemon restart', async () => {
    const s = new Scenario(
      d,
      'stale-restart',
      'services:\n  a:\n    command: ["sleep", "300"]\n    env_file: .env\n',
    );
    s.write('.env', 'A=1\n');
    await s.ok(['start', '-d']);
    await d.crash();
    await d.start();
    expect((await s.ps())[0]!.stale).toBe(false);
    s.write('.env', 'A=22\n');
    expect((await s.ps())[0]!.stale).toBe(true);
    await s.ok(['stop']);
  });

  test('recreate while services run points at up', async () => {
    const s = new Scenario(d, 'recreate', 'services:\n  a:\n    command: ["sleep", "300"]\n');
    await s.ok(['start', '-d']);
    const r = await s.cli(['recreate']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/`kepler up` applies changes without stopping everything/);
    await s.ok(['stop']);
  });
});
