// Issue 13 point 5, end to end with the real daemon: `-f` given several times merges overlays over the
// first file (compose's rules); the first file stays the config's identity and state directory.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { TestDaemon, waitFor } from '../testkit.js';

jest.setTimeout(90_000);

const d = new TestDaemon('kepler-e2e-overlays');
beforeAll(() => d.start());
afterAll(() => d.cleanup());

/** Writes `files` into a fresh directory under the daemon's work dir and returns it. */
function caseDir(name: string, files: Record<string, string>): string {
  const dir = join(d.workDir, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

const BASE = `
services:
  web:
    command: ["sh", "-c", "echo \\"base MODE=$MODE PORT=$PORT\\" >> rec.txt; exec sleep 100"]
    environment:
      - MODE=dev
      - PORT=8080
`;

const PROD = `
services:
  web:
    command: ["sh", "-c", "echo \\"prod MODE=$MODE PORT=$PORT\\" >> rec.txt; exec sleep 100"]
    environment:
      MODE: prod
`;

/** Polls the case's record file until it has a line; returns its lines. */
function recorded(dir: string): Promise<string[]> {
  const file = join(dir, 'rec.txt');
  return waitFor(
    () => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : null),
    'the service to record its start',
    { timeoutMs: 30_000 },
  );
}

test("start with two files: the overlay's command and environment win; the state dir is the first file's", async () => {
  const dir = caseDir('two-files', { 'kepler.yaml': BASE, 'kepler.prod.yaml': PROD });
  const base = join(dir, 'kepler.yaml');
  const r = await d.cli(['-f', 'kepler.yaml', '-f', 'kepler.prod.yaml', 'start', '-d', '--wait'], {
    cwd: dir,
  });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  // PORT from the base's list form, MODE from the overlay's map form.
  expect(await recorded(dir)).toEqual(['prod MODE=prod PORT=8080']);

  // The config is the first file's: `ps -f kepler.yaml` alone sees it, and it has one state dir.
  expect((await d.service(base, 'web')).status).toBe('running');
  const stateDir = d.configStateDir(base);
  expect(readdirSync(join(d.stateDir, 'configs'))).toEqual([stateDir.split('/').pop()]);
  // The snapshot names every file it was baked from, and the overlay is copied beside the config.
  const snapshot = JSON.parse(readFileSync(join(stateDir, 'expanded_config.yaml'), 'utf8'));
  expect(snapshot.sourcePath).toBe(base);
  expect(snapshot.overlays).toEqual([join(dir, 'kepler.prod.yaml')]);
  expect(readFileSync(join(stateDir, 'overlays', '1-kepler.prod.yaml'), 'utf8')).toBe(PROD);

  const stop = await d.cli(['-f', 'kepler.yaml', 'stop'], { cwd: dir });
  expect(stop.code).toBe(0);
});

test('-f before and after the command are all kept, in order', async () => {
  const dir = caseDir('before-after', {
    'kepler.yaml': BASE,
    'kepler.prod.yaml': PROD,
    'local.yaml': 'services:\n  web:\n    environment: {PORT: "9090"}\n',
  });
  const r = await d.cli(
    ['-f', 'kepler.yaml', 'start', '-d', '--wait', '-f', 'kepler.prod.yaml', '--file=local.yaml'],
    {
      cwd: dir,
    },
  );
  expect(r.code).toBe(0);
  expect(await recorded(dir)).toEqual(['prod MODE=prod PORT=9090']);
  expect((await d.cli(['stop', '-f', 'kepler.yaml'], { cwd: dir })).code).toBe(0);
});

test("an error in the overlay names the overlay's file:line:col, and nothing starts", async () => {
  const dir = caseDir('bad-overlay', {
    'kepler.yaml': BASE,
    'bad.yaml': 'services:\n  web:\n    stop_grace_period: 10x\n',
  });
  const r = await d.cli(['-f', 'kepler.yaml', '-f', 'bad.yaml', 'start', '-d'], { cwd: dir });
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^bad\.yaml:3:24 services\.web\.stop_grace_period: /m);
  expect(existsSync(join(dir, 'rec.txt'))).toBe(false);
  expect(existsSync(join(d.configStateDir(join(dir, 'kepler.yaml')), 'expanded_config.yaml'))).toBe(false);
});

test('kepler config -f a -f b prints the merged config, without a daemon', async () => {
  const dir = caseDir('config-print', { 'kepler.yaml': BASE, 'kepler.prod.yaml': PROD });
  const r = await d.cli(['config', '--json', '-f', 'kepler.yaml', '-f', 'kepler.prod.yaml'], {
    cwd: dir,
    env: { KEPLER_DAEMON_PATH: '/nonexistent/kepler-e2e-no-daemon' },
  });
  expect(r.code).toBe(0);
  const baked = JSON.parse(r.stdout);
  expect(baked.services.web.environment).toEqual({ MODE: 'prod', PORT: '8080' });
  expect(baked.services.web.command[2]).toMatch(/^echo "prod/);
  expect(baked['x-kepler'].overlays).toEqual([join(dir, 'kepler.prod.yaml')]);
});

test('a different overlay list is like an edited file: the snapshot runs until recreate bakes the new list', async () => {
  const dir = caseDir('recreate', { 'kepler.yaml': BASE, 'kepler.prod.yaml': PROD });
  const base = join(dir, 'kepler.yaml');
  expect((await d.cli(['-f', 'kepler.yaml', 'start', '-d', '--wait'], { cwd: dir })).code).toBe(0);
  expect(await recorded(dir)).toEqual(['base MODE=dev PORT=8080']);
  expect((await d.cli(['-f', 'kepler.yaml', 'stop'], { cwd: dir })).code).toBe(0);

  // Named with an overlay, the loaded config keeps its snapshot (baked from kepler.yaml alone).
  const snapshotFile = join(d.configStateDir(base), 'expanded_config.yaml');
  expect(
    (await d.cli(['-f', 'kepler.yaml', '-f', 'kepler.prod.yaml', 'start', '-d', '--wait'], { cwd: dir }))
      .code,
  ).toBe(0);
  await waitFor(
    () => readFileSync(join(dir, 'rec.txt'), 'utf8').split('\n').filter(Boolean).length === 2,
    'a second start',
  );
  expect(JSON.parse(readFileSync(snapshotFile, 'utf8')).overlays).toBeUndefined();
  expect((await d.cli(['-f', 'kepler.yaml', 'stop'], { cwd: dir })).code).toBe(0);

  // recreate bakes the list it is given.
  expect((await d.cli(['recreate', '-f', 'kepler.yaml', '-f', 'kepler.prod.yaml'], { cwd: dir })).code).toBe(
    0,
  );
  expect(JSON.parse(readFileSync(snapshotFile, 'utf8')).overlays).toEqual([join(dir, 'kepler.prod.yaml')]);
  expect((await d.cli(['-f', 'kepler.yaml', 'start', '-d', '--wait'], { cwd: dir })).code).toBe(0);
  await waitFor(
    () => readFileSync(join(dir, 'rec.txt'), 'utf8').includes('prod MODE=prod PORT=8080'),
    'the overlay to apply after recreate',
  );
  expect((await d.cli(['-f', 'kepler.yaml', 'stop'], { cwd: dir })).code).toBe(0);
});
