/**
 * Files Kepler creates for a service (log files, env_file copies, the config copy and snapshot that
 * hold the environment) are not readable by other users: nothing under a config's state directory has
 * any permission bit for "others", everything is root's, and a real user outside the `kepler` group
 * gets EACCES trying to read them, even when the env file it came from was world-readable.
 */
import { lstatSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureCiUsers, openUpDirs, runAs, TestDaemon, waitFor } from '../testkit.js';

/** Generous: two cores shared with other suites. */
const T = 60_000;

const d = new TestDaemon('kepler-e2e-files');
let config: string;
const SECRET = 'hunter2-e2e-files';

beforeAll(async () => {
  ensureCiUsers();
  openUpDirs(d);
  await d.start();
  writeFileSync(join(d.workDir, 'app.env'), `DB_PASSWORD=${SECRET}\n`, { mode: 0o644 });
  config = d.writeConfig(
    `services:
  app:
    command: ["sh", "-c", "echo out=$DB_PASSWORD; echo err >&2; exec sleep 600"]
    env_file: app.env
    hooks:
      pre_start:
        run: echo hook-output
`,
    'files.kepler.yaml',
  );
  expect((await d.cli(['start', '-d', '--wait', '--timeout', '30s', '-f', config])).code).toBe(0);
  await waitFor(
    () => d.readLogFile(config, 'app.stdout.log').includes(`out=${SECRET}`),
    'the service to log',
  );
}, T);

afterAll(() => d.cleanup(), T);

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? [p, ...walk(p)] : [p];
  });
}

test(
  'everything under the config state directory is root-owned with no access for others',
  () => {
    const dir = d.configStateDir(config);
    const entries = [dir, ...walk(dir)];
    const names = entries.map((p) => p.slice(dir.length));
    // The files this test is about are really there.
    for (const f of [
      '/logs/app.stdout.log',
      '/logs/app.stderr.log',
      '/env_files/app.env',
      '/config.yaml',
      '/expanded_config.yaml',
    ]) {
      expect(names).toContain(f);
    }
    expect(names.some((n) => n.startsWith('/logs/app.pre_start'))).toBe(true);
    const open = entries
      // A state.json write in flight renames its temp file away between the walk and the lstat.
      .flatMap((p) => {
        const st = lstatSync(p, { throwIfNoEntry: false });
        return st ? [{ p: p.slice(dir.length) || '/', st }] : [];
      })
      .filter(({ st }) => st.uid !== 0 || (st.mode & 0o007) !== 0)
      .map(({ p, st }) => `${p} ${(st.mode & 0o777).toString(8)} ${st.uid}:${st.gid}`);
    expect(open).toEqual([]);
  },
  T,
);

test(
  'the env_file copy is 0640 even though the source was 0644',
  () => {
    const st = lstatSync(join(d.configStateDir(config), 'env_files', 'app.env'));
    expect(st.mode & 0o777).toBe(0o640);
    expect(st.uid).toBe(0);
  },
  T,
);

test(
  'a user outside the kepler group cannot read logs, env copies or snapshots (EACCES)',
  async () => {
    const dir = d.configStateDir(config);
    for (const f of ['logs/app.stdout.log', 'env_files/app.env', 'expanded_config.yaml', 'state.json']) {
      const r = await runAs('keplerout', ['cat', join(dir, f)]);
      expect([f, r.code]).toEqual([f, 1]);
      expect(r.stderr).toContain('Permission denied');
      expect(r.stdout).not.toContain(SECRET);
    }
    // Nor list the logs directory.
    const ls = await runAs('keplerout', ['ls', join(dir, 'logs')]);
    expect(ls.code).not.toBe(0);
    expect(ls.stderr).toContain('Permission denied');
  },
  T,
);
