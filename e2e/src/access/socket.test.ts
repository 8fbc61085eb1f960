/**
 * Access control: the socket admits root and members of the `kepler` group only. The CLI runs as real
 * non-root users (with their supplementary groups, through setpriv --init-groups): `keplertest` (in the
 * group) is served, `keplerout` (not in it) is refused with the group hint and exit 2. The state
 * directory, socket and pid file carry the documented modes and owners.
 */
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import {
  CLI,
  cliAs,
  ensureCiUsers,
  groupId,
  openUpDirs,
  runCommand,
  TestDaemon,
  type TestUser,
  waitFor,
} from '../testkit.js';

/** Generous: two cores shared with other suites. */
const T = 60_000;

const d = new TestDaemon('kepler-e2e-access');
let inGroup: TestUser;
let outside: TestUser;
let keplerGid: number;
let config: string;

beforeAll(async () => {
  ({ inGroup, outside } = ensureCiUsers());
  keplerGid = groupId('kepler');
  openUpDirs(d);
  await d.start();
  config = d.writeConfig('services:\n  app:\n    command: ["sleep", "600"]\n', 'access.kepler.yaml');
  expect((await d.cli(['start', '-d', '--wait', '--timeout', '30s', '-f', config])).code).toBe(0);
}, T);

afterAll(() => d.cleanup(), T);

function modeOf(path: string): { mode: number; uid: number; gid: number } {
  const st = lstatSync(path);
  return { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
}

test(
  'a user in the `kepler` group can use the CLI',
  async () => {
    const ps = await cliAs(d, inGroup, ['ps', '--json', '-f', config]);
    expect(ps.stderr).toBe('');
    expect(ps.code).toBe(0);
    const services = JSON.parse(ps.stdout) as Array<Record<string, unknown>>;
    expect(services.map((s) => [s.name, s.status])).toEqual([['app', 'running']]);
    const status = await cliAs(d, inGroup, ['daemon', 'status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(String(d.pid));
  },
  T,
);

test(
  'a user outside the group is refused with the group hint and exit 2',
  async () => {
    for (const args of [
      ['ps', '-f', config],
      ['daemon', 'status'],
      ['stop', '-f', config],
    ]) {
      const r = await cliAs(d, outside, args);
      expect([args, r.code]).toEqual([args, 2]);
      expect(r.stderr).toMatch(/kepler/);
      expect(r.stderr).toContain('usermod -aG kepler');
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace for a user's situation
      expect(r.stdout).toBe('');
    }
    // The refused `stop` did nothing.
    expect((await d.service(config, 'app')).status).toBe('running');
  },
  T,
);

test(
  'the same user is served once it is in the group (membership is what counts)',
  async () => {
    // setpriv with an explicit group list: `keplerout` plus `kepler`, as after `usermod -aG` and a new login.
    const r = await runCommand(
      'setpriv',
      [
        `--reuid=${outside.uid}`,
        `--regid=${outside.gid}`,
        `--groups=${keplerGid}`,
        process.execPath,
        CLI,
        'ps',
        '-f',
        config,
      ],
      { cwd: d.workDir, env: { ...process.env, ...d.env, NO_COLOR: '1', HOME: '/tmp' } },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('app');
  },
  T,
);

test(
  'modes and owners: state dir 0770 root:kepler, socket 0660 root:kepler, pid file 0640 root:kepler',
  async () => {
    expect(modeOf(d.stateDir)).toEqual({ mode: 0o770, uid: 0, gid: keplerGid });
    expect(lstatSync(d.socket).isSocket()).toBe(true);
    expect(modeOf(d.socket)).toEqual({ mode: 0o660, uid: 0, gid: keplerGid });
    const pidFile = join(d.stateDir, 'kepler.pid');
    expect(modeOf(pidFile)).toEqual({ mode: 0o640, uid: 0, gid: keplerGid });
    expect(modeOf(join(d.stateDir, 'configs'))).toEqual({ mode: 0o770, uid: 0, gid: keplerGid });
    const logs = join(d.configStateDir(config), 'logs');
    expect(modeOf(logs)).toMatchObject({ uid: 0 });
    expect(modeOf(logs).mode & 0o007).toBe(0);
  },
  T,
);

test(
  'the daemon keeps serving root after the refusals',
  async () => {
    await waitFor(async () => (await d.cli(['ps', '-f', config])).code === 0, 'root to be served');
  },
  T,
);
