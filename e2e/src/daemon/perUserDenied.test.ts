// A user whose own daemon's state directory refuses them (after `su` without `-`, XDG_STATE_HOME still
// names the previous user's): the kepler group is not what is missing, so the hint must not say it is.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, runCommand } from '../testkit.js';

/** Generous: two cores shared with other suites. */
const T = 60_000;
/** The user scripts/test.sh creates: not root, not in `kepler`, with a home directory. */
const USER = 'keplerhome';

let base: string;

beforeAll(() => {
  try {
    execFileSync('id', [USER], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['-m', '-s', '/bin/sh', USER], { stdio: 'ignore' });
  }
  base = mkdtempSync(join(tmpdir(), 'kepler-e2e-peruser-denied-'));
  chmodSync(base, 0o755);
  // Someone else's state home: root's, closed to others.
  mkdirSync(join(base, 'root-state', 'kepler'), { recursive: true, mode: 0o700 });
  chmodSync(join(base, 'root-state'), 0o700);
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

test(
  'a per-user daemon whose state directory is not yours: exit 2 naming that directory, not the kepler group',
  async () => {
    const uid = Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', USER], { encoding: 'utf8' }).trim());
    const stateDir = join(base, 'root-state', 'kepler');
    for (const args of [
      ['ps', '--all'],
      ['daemon', 'status'],
    ]) {
      const r = await runCommand(
        'setpriv',
        [`--reuid=${uid}`, `--regid=${gid}`, '--init-groups', process.execPath, CLI, ...args],
        {
          cwd: base,
          env: {
            ...process.env,
            NO_COLOR: '1',
            KEPLER_DAEMON_PATH: '',
            KEPLER_NO_AUTOSTART: '',
            HOME: base,
            XDG_STATE_HOME: join(base, 'root-state'),
          },
        },
      );
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        `Permission denied on your own Kepler daemon's state directory, ${stateDir}`,
      );
      expect(r.stderr).not.toContain('usermod');
    }
  },
  T,
);
