/**
 * scripts/install.sh without touching the machine's /usr/local or /etc/systemd: PREFIX and SYSTEMD_DIR
 * point into a temporary directory and --no-build skips the build (the suite runs on the built tree).
 * The link works for root and for a user outside the `kepler` group (`kepler --version` needs no
 * daemon), the unit is installed with the link's path, and --uninstall removes both.
 */
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ensureCiUsers, REPO, runAs, runCommand } from '../testkit.js';

/** Generous: two cores shared with other suites. */
const T = 120_000;

const SCRIPT = join(REPO, 'scripts/install.sh');
let base: string;
let prefix: string;
let systemdDir: string;

beforeAll(() => {
  ensureCiUsers();
  base = mkdtempSync(join(tmpdir(), 'kepler-e2e-install-'));
  chmodSync(base, 0o755);
  prefix = join(base, 'prefix');
  systemdDir = join(base, 'systemd');
  mkdirSync(systemdDir); // "systemd is present" for the script even where systemctl is not
}, T);

afterAll(() => rmSync(base, { recursive: true, force: true }), T);

function install(...args: string[]) {
  return runCommand('bash', [SCRIPT, ...args], {
    env: { ...process.env, PREFIX: prefix, SYSTEMD_DIR: systemdDir },
  });
}

/** Whether every directory from / down to `path` is searchable by other users. */
function searchableByOthers(path: string): boolean {
  for (let dir = path; ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return false;
    if (dir === '/') return true;
  }
}

test(
  'is valid bash',
  async () => {
    const r = await runCommand('bash', ['-n', SCRIPT]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
  },
  T,
);

test(
  'installs the link, the group and the unit into PREFIX and SYSTEMD_DIR; --uninstall removes them',
  async () => {
    const r = await install('--no-build');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Next steps');
    expect(r.stdout).toContain('systemctl enable --now kepler');

    const link = join(prefix, 'bin/kepler');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(join(REPO, 'bin/kepler'));
    const version = await runCommand(link, ['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^kepler \d+\.\d+\.\d+/);
    if (searchableByOthers(REPO)) {
      // Readable by every user: a user outside the kepler group can run the CLI (not use the daemon).
      const asOther = await runAs('keplerout', [link, '--version']);
      expect(asOther.stderr).toBe('');
      expect(asOther.stdout).toBe(version.stdout);
    } else {
      expect(r.stdout).toContain('WARNING');
    }

    expect((await runCommand('getent', ['group', 'kepler'])).code).toBe(0);

    const unit = readFileSync(join(systemdDir, 'kepler.service'), 'utf8');
    expect(unit).toContain(`ExecStart=${link} daemon start\n`);
    expect(unit).toContain(`ExecStop=${link} daemon stop\n`);
    for (const line of ['Type=notify', 'NotifyAccess=all', 'Restart=on-failure', 'KillMode=process']) {
      expect(unit).toMatch(new RegExp(`^${line}$`, 'm'));
    }
    expect(unit).not.toContain('/usr/local/bin/kepler');
    expect(statSync(join(systemdDir, 'kepler.service')).mode & 0o777).toBe(0o644);

    // Idempotent.
    expect((await install('--no-build')).code).toBe(0);

    const u = await install('--uninstall');
    expect(u.code).toBe(0);
    expect(existsSync(link)).toBe(false);
    expect(existsSync(join(systemdDir, 'kepler.service'))).toBe(false);
    expect((await runCommand('getent', ['group', 'kepler'])).code).toBe(0); // left in place
  },
  T,
);

test(
  'refuses to replace a file that is not a link',
  async () => {
    mkdirSync(join(prefix, 'bin'), { recursive: true });
    writeFileSync(join(prefix, 'bin/kepler'), '#!/bin/sh\n');
    const r = await install('--no-build');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('is not a symbolic link');
    rmSync(join(prefix, 'bin/kepler'));
  },
  T,
);

test(
  'rejects unknown arguments',
  async () => {
    const r = await install('--bogus');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('usage:');
  },
  T,
);
