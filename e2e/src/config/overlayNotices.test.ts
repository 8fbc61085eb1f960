// What start, restart and ps say when the running snapshot differs from what the command's files
// would bake: other `-f` overlays than the snapshot was baked with (a warning naming them and the up
// that applies them), or a file it was baked from changed (the stale line naming that file, with an
// up that keeps the snapshot's overlays).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { type CliResult, TestDaemon } from '../testkit.js';

jest.setTimeout(90_000);

const d = new TestDaemon('kepler-e2e-overlay-notices');
beforeAll(() => d.start());
afterAll(() => d.cleanup());

const BASE = 'services:\n  web:\n    command: ["sleep", "300"]\n    environment: {MODE: dev}\n';
const PROD = 'services:\n  web:\n    environment: {MODE: prod}\n';

/** A fresh directory with kepler.yaml and prod.yaml; `cli` runs the CLI there. */
function caseDir(name: string) {
  const dir = join(d.workDir, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'kepler.yaml'), BASE);
  writeFileSync(join(dir, 'prod.yaml'), PROD);
  const cli = async (args: readonly string[]): Promise<CliResult> => {
    const r = await d.cli(args, { cwd: dir });
    if (r.code !== 0) throw new Error(`kepler ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
    return r;
  };
  return { dir, cli };
}

const BOTH = ['-f', 'kepler.yaml', '-f', 'prod.yaml'];
const BASE_ONLY = ['-f', 'kepler.yaml'];

const NOT_APPLIED =
  'warning: overlay prod.yaml not applied: kepler.yaml runs from a snapshot baked without overlays; ' +
  'kepler -f kepler.yaml -f prod.yaml up bakes it with prod.yaml\n';
const STILL_APPLIED =
  'warning: overlay prod.yaml still applied: kepler.yaml runs from a snapshot baked with prod.yaml; ' +
  'kepler -f kepler.yaml up bakes it without overlays\n';

test('an overlay the snapshot was baked without is named with the up that applies it; none once they match', async () => {
  const { cli } = caseDir('not-applied');
  expect((await cli([...BASE_ONLY, 'start', '-d'])).stderr).toBe('');
  // Loaded from its snapshot after a daemon restart: the snapshot's overlays are still known.
  await d.crash();
  await d.start();

  expect((await cli([...BOTH, 'start', '-d'])).stderr).toBe(NOT_APPLIED);
  expect((await cli([...BOTH, 'restart', '-d', '--wait'])).stderr).toBe(NOT_APPLIED);
  expect((await cli([...BOTH, 'ps'])).stderr).toBe(NOT_APPLIED);
  // Without the overlay, the snapshot matches: nothing to say.
  expect((await cli([...BASE_ONLY, 'start', '-d'])).stderr).toBe('');

  // The hint bakes the overlay: from then on the same -f's say nothing.
  await cli([...BOTH, 'up', '-d', '--wait']);
  expect((await cli([...BOTH, 'start', '-d'])).stderr).toBe('');
  expect((await cli([...BOTH, 'restart', '-d'])).stderr).toBe('');
  expect((await cli([...BOTH, 'ps'])).stderr).toBe('');

  // The reverse: run without the overlay the snapshot was baked with.
  expect((await cli([...BASE_ONLY, 'start', '-d'])).stderr).toBe(STILL_APPLIED);
  // ps compares overlays only when named: `ps -f kepler.yaml` is how such a stack is read.
  expect((await cli([...BASE_ONLY, 'ps'])).stderr).toBe('');
  await cli([...BASE_ONLY, 'stop']);
});

test('a changed overlay is named in the stale line, whose up keeps the overlays', async () => {
  const { dir, cli } = caseDir('stale-overlay');
  expect((await cli([...BOTH, 'start', '-d'])).stderr).toBe('');
  writeFileSync(join(dir, 'prod.yaml'), 'services:\n  web:\n    environment: {MODE: prod, LEVEL: "2"}\n');

  const stale =
    'prod.yaml changed since it was baked; kepler -f kepler.yaml -f prod.yaml up applies it ' +
    '(kepler -f kepler.yaml -f prod.yaml up --dry-run shows how)\n';
  expect((await cli([...BOTH, 'start', '-d'])).stderr).toBe(stale);
  expect((await cli([...BOTH, 'restart', '-d', '--wait'])).stderr).toBe(stale);
  expect((await cli([...BOTH, 'ps'])).stderr).toBe(stale);
  expect((await cli(['ps'])).stderr).toBe(stale);
  // Without -f the overlay is still kept by the hint, after the warning that it still applies.
  expect((await cli(['start', '-d'])).stderr).toBe(
    `${STILL_APPLIED.replace('kepler -f kepler.yaml up', 'kepler up')}${stale}`,
  );
  // ps --all (of several configs) names every file by its path.
  expect((await cli(['ps', '--all'])).stderr).toContain(
    `${join(dir, 'prod.yaml')} changed since it was baked; kepler -f ${join(dir, 'kepler.yaml')} -f ${join(dir, 'prod.yaml')} up applies it`,
  );

  // Following the hint clears it.
  await cli([...BOTH, 'up', '-d', '--wait']);
  expect((await cli([...BOTH, 'start', '-d'])).stderr).toBe('');
  expect((await cli([...BOTH, 'ps'])).stderr).toBe('');
  await cli([...BASE_ONLY, 'stop']);
});

test('a changed env file is named, not the config', async () => {
  const { dir, cli } = caseDir('stale-env');
  writeFileSync(join(dir, 'kepler.yaml'), `${BASE}    env_file: app.env\n`);
  writeFileSync(join(dir, 'app.env'), 'A=1\n');
  expect((await cli(['start', '-d'])).stderr).toBe('');
  writeFileSync(join(dir, 'app.env'), 'A=22\n');
  expect((await cli(['start', '-d'])).stderr).toBe(
    'app.env changed since it was baked; kepler up applies it (kepler up --dry-run shows how)\n',
  );
  writeFileSync(join(dir, 'kepler.yaml'), `${BASE}    env_file: app.env\n    stop_signal: SIGINT\n`);
  expect((await cli(['ps'])).stderr).toBe(
    'kepler.yaml, app.env changed since the config was baked; kepler up applies them (kepler up --dry-run shows how)\n',
  );
  await cli(['stop']);
});

test('in the foreground (follow mode) too', async () => {
  const { dir, cli } = caseDir('follow');
  writeFileSync(join(dir, 'kepler.yaml'), 'services:\n  once:\n    command: ["true"]\n    restart: "no"\n');
  writeFileSync(join(dir, 'prod.yaml'), 'services:\n  once:\n    environment: {MODE: prod}\n');
  expect((await cli([...BASE_ONLY, 'start'])).stderr).toBe('');
  const r = await cli([...BOTH, 'start']);
  expect(r.stderr).toBe(NOT_APPLIED);
  expect(r.stdout).toMatch(/once/);
});
