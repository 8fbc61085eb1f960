import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { procStat, TestDaemon, waitFor } from '../testkit.js';

/** Generous: two cores shared with other suites. */
const T = 60_000;

const d = new TestDaemon('kepler-sup-run');
beforeAll(() => d.start(), T);
afterAll(() => d.cleanup(), T);

type Info = Record<string, unknown>;

async function statusOf(config: string, name: string): Promise<Info> {
  return d.service(config, name);
}

const waitStatus = (config: string, name: string, status: string, timeoutMs = 15_000): Promise<Info> =>
  d.waitStatus(config, name, status, timeoutMs);

describe('running a service', () => {
  test(
    'exec as argv (no shell), in working_dir, with the baked env, own process group, stdin /dev/null',
    async () => {
      const config = d.writeConfig(
        `services:
  argv:
    command: ["printf", "%s|", "a b", "$HOME", "*", "\`id\`"]
  proc:
    working_dir: ./sub
    command: ["sleep", "300"]
    environment:
      - GREETING=hello world
      - EMPTY=
`,
        'run/kepler.yaml',
      );
      // working_dir relative to the config file's directory
      const { mkdirSync } = await import('node:fs');
      mkdirSync(join(d.workDir, 'run', 'sub'), { recursive: true });
      const r = await d.cli(['start', '-d', '-f', config]);
      expect(r.code).toBe(0);

      const p = await waitStatus(config, 'proc', 'running');
      const pid = p.pid as number;
      expect(typeof pid).toBe('number');
      const st = procStat(pid)!;
      expect(st.pgid).toBe(pid); // its own process group
      expect(st.sid).toBe(pid); // and its own session
      expect(readlinkSync(`/proc/${pid}/cwd`)).toBe(join(d.workDir, 'run', 'sub'));
      expect(readlinkSync(`/proc/${pid}/fd/0`)).toBe('/dev/null');
      // argv as given (argv[0] resolved to its absolute path), not through a shell
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      expect(cmdline.slice(-1)).toEqual(['300']);
      expect(cmdline[0]).toMatch(/sleep$/);
      const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      expect(env).toContain('GREETING=hello world');
      expect(env).toContain('EMPTY=');
      // sys_env defaults to clear: the test's own environment does not leak in
      expect(env.some((e) => e.startsWith('KEPLER_DAEMON_PATH='))).toBe(false);

      await waitStatus(config, 'argv', 'exited');
      // `$HOME`, `*` and backticks reach printf untouched: no shell expanded them
      expect(d.readLogFile(config, 'argv.stdout.log')).toMatch(/ a b\|\$HOME\|\*\|`id`\|$/m);
      await d.cli(['stop', '-f', config]);
    },
    T,
  );

  test(
    'a command that cannot be spawned makes the service failed with the reason; the daemon carries on',
    async () => {
      const config = d.writeConfig(
        `services:
  missing:
    command: ["definitely-not-a-binary-kepler"]
  badcwd:
    working_dir: /nonexistent/kepler/dir
    command: ["sleep", "300"]
  ok:
    command: ["sleep", "300"]
`,
        'unspawnable/kepler.yaml',
      );
      const r = await d.cli(['start', '-d', '-f', config]);
      expect(r.code).toBe(0);
      const missing = await waitStatus(config, 'missing', 'failed');
      expect(String(missing.reason)).toMatch(/command not found: definitely-not-a-binary-kepler/);
      const badcwd = await waitStatus(config, 'badcwd', 'failed');
      expect(String(badcwd.reason)).toMatch(/working_dir.*\/nonexistent\/kepler\/dir/);
      await waitStatus(config, 'ok', 'running');
      // The daemon is still up and answering.
      expect((await d.cli(['daemon', 'status'])).code).toBe(0);
      expect(d.proc?.exitCode).toBeNull();
      await d.cli(['stop', '-f', config]);
    },
    T,
  );

  test(
    'start -d of all, of named services; starting a running service says so; manual start re-runs ended services',
    async () => {
      const config = d.writeConfig(
        `services:
  a:
    command: ["sleep", "300"]
  b:
    command: ["sleep", "300"]
  done:
    command: ["true"]
  bad:
    command: ["false"]
`,
        'startmodes/kepler.yaml',
      );
      let r = await d.cli(['start', '-d', '-f', config, 'a']);
      expect(r.code).toBe(0);
      const a = await waitStatus(config, 'a', 'running');
      expect((await statusOf(config, 'b')).status).toBe('stopped');
      expect((await statusOf(config, 'done')).status).toBe('stopped');

      r = await d.cli(['start', '-d', '-f', config, 'a']);
      expect(r.code).toBe(0);
      expect(r.stdout + r.stderr).toMatch(/a is already running/);
      expect((await statusOf(config, 'a')).pid).toBe(a.pid); // untouched

      r = await d.cli(['start', '-d', '-f', config]);
      expect(r.code).toBe(0);
      await waitStatus(config, 'b', 'running');
      const done = await waitStatus(config, 'done', 'exited');
      const bad = await waitStatus(config, 'bad', 'failed');
      expect(bad.exit_code).toBe(1);
      expect((await statusOf(config, 'a')).pid).toBe(a.pid);

      // stop b, then a manual start re-runs the stopped, exited and failed ones
      await d.cli(['stop', '-f', config, 'b']);
      await waitStatus(config, 'b', 'stopped');
      r = await d.cli(['start', '-d', '-f', config]);
      expect(r.code).toBe(0);
      await waitStatus(config, 'b', 'running');
      await waitFor(
        async () => (await statusOf(config, 'done')).started_at !== done.started_at,
        'done to run again',
      );
      await waitFor(
        async () => (await statusOf(config, 'bad')).started_at !== bad.started_at,
        'bad to run again',
      );
      expect((await statusOf(config, 'a')).pid).toBe(a.pid);
      await d.cli(['stop', '-f', config]);
    },
    T,
  );
});
