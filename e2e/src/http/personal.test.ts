// A personal (per-user) daemon's HTTP token and http.json are its user's alone (0600), as its socket.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alive, CLI, type CliResult, runCommand } from '../testkit.js';

/** The user scripts/test.sh creates: not root, not in `kepler`, with a home directory. */
const USER = 'keplerhome';
let uid: number;
let gid: number;
let base: string;
let xdg: string;
let daemonPid: number | null = null;

beforeAll(() => {
  try {
    execFileSync('id', [USER], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['-m', '-s', '/bin/sh', USER], { stdio: 'ignore' });
  }
  uid = Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' }).trim());
  gid = Number(execFileSync('id', ['-g', USER], { encoding: 'utf8' }).trim());
  base = mkdtempSync(join(tmpdir(), 'kepler-e2e-http-personal-'));
  chmodSync(base, 0o755);
  xdg = join(base, 'xdg');
  mkdirSync(xdg);
  chownSync(xdg, uid, gid);
});

afterAll(async () => {
  await kepler(['daemon', 'stop']).catch(() => undefined);
  if (daemonPid !== null && alive(daemonPid)) process.kill(daemonPid, 'SIGKILL');
  rmSync(base, { recursive: true, force: true });
}, 60_000);

function kepler(args: readonly string[]): Promise<CliResult> {
  return runCommand(
    'setpriv',
    [`--reuid=${uid}`, `--regid=${gid}`, '--init-groups', process.execPath, CLI, ...args],
    {
      cwd: xdg,
      env: {
        PATH: process.env.PATH,
        HOME: `/home/${USER}`,
        XDG_STATE_HOME: xdg,
        KEPLER_OUTPUT_DIR: join(xdg, 'output'),
        NO_COLOR: '1',
      },
    },
  );
}

test('the token and http.json are 0600 and belong to the user; kepler dashboard works for that user', async () => {
  const started = await kepler(['daemon', 'start', '-d', '--http', '127.0.0.1:0']);
  expect(started.code).toBe(0);
  daemonPid = Number(/pid (\d+)/.exec(started.stdout + started.stderr)?.[1] ?? NaN);
  const state = join(xdg, 'kepler');
  for (const file of ['http.token', 'http.json']) {
    const st = statSync(join(state, file));
    expect({ file, mode: st.mode & 0o777, uid: st.uid }).toEqual({ file, mode: 0o600, uid });
  }
  const link = await kepler(['dashboard', '--no-open']);
  expect(link.code).toBe(0);
  const res = await fetch(link.stdout.trim(), { redirect: 'manual' });
  expect(res.status).toBe(303);
  const { url } = JSON.parse(readFileSync(join(state, 'http.json'), 'utf8')) as { url: string };
  expect((await fetch(`${url}/api/v1/status`)).status).toBe(401);
}, 60_000);
