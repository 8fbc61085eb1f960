import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { sha256, TestDaemon, waitFor } from '../testkit.js';

/**
 * Service cgroups (`<cgroup2 mount>/kepler/<marker>-<hash>`) do not pile up: each is removed once
 * empty, after a stop, after its process ends, after a hook, and at daemon start for processes that
 * ended while no daemon ran. The kepler root is shared with every other daemon on the machine.
 */
const T = 60_000;

const d = new TestDaemon('kepler-cgroups');
beforeAll(() => d.start(), T);
afterAll(() => d.cleanup(), T);

/** `<cgroup2 mount>/kepler`, as the daemon derives it; null without a cgroup2 mount. */
function keplerRoot(): string | null {
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep >= 0 && line.slice(sep + 3).startsWith('cgroup2 ')) return join(line.split(' ')[4]!, 'kepler');
  }
  return null;
}

/** The cgroups of a config's services and hooks (named after its marker, `KEPLER_SERVICE_ID=<id>.<name>`). */
function cgroupsOf(config: string): string[] {
  const root = keplerRoot();
  if (root === null || !existsSync(root)) return [];
  const prefix = `KEPLER_SERVICE_ID_${sha256(config).slice(0, 16)}.`;
  return readdirSync(root).filter((n) => n.startsWith(prefix));
}

/** Whether the daemon placed this process in a kepler cgroup (it falls back silently when it cannot). */
function inKeplerCgroup(pid: number): boolean {
  return readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes('/kepler/');
}

const pidOf = async (config: string, name: string): Promise<number> =>
  (await d.waitStatus(config, name, 'running')).pid as number;

test(
  'stop, an exit and hooks leave no cgroup of the config behind',
  async () => {
    const config = d.writeConfig(
      `kepler:
  hooks:
    pre_start:
      run: "true"
services:
  app:
    command: ["sleep", "infinity"]
    hooks:
      post_stop:
        run: "true"
  once:
    command: ["true"]
`,
      'stop/kepler.yaml',
    );
    expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
    const pid = await pidOf(config, 'app');
    await d.waitStatus(config, 'once', 'exited');
    if (!inKeplerCgroup(pid)) {
      console.warn('cgroup v2 is not usable here: cgroup cleanup test skipped');
      expect((await d.cli(['stop', '-f', config])).code).toBe(0);
      return;
    }
    // Only the running service's cgroup is left: `once` ended and the global hook finished.
    await waitFor(() => cgroupsOf(config).length === 1, 'the cgroups of ended processes to go', {
      timeoutMs: 5000,
    });
    expect(cgroupsOf(config)[0]).toMatch(/\.app-/);
    expect((await d.cli(['stop', '-f', config])).code).toBe(0);
    await waitFor(() => cgroupsOf(config).length === 0, 'no cgroup of the config', { timeoutMs: 5000 }).catch(
      (e: Error) => {
        throw new Error(`${e.message}: ${cgroupsOf(config).join(', ')}`);
      },
    );
  },
  T,
);

test(
  'after a daemon kill -9, a restart and a stop, no cgroup of the config is left, and no other daemon’s is touched',
  async () => {
    const config = d.writeConfig(
      `services:
  app:
    command: ["sleep", "infinity"]
  gone:
    command: ["sleep", "infinity"]
`,
      'crash/kepler.yaml',
    );
    expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
    const app = await pidOf(config, 'app');
    const gone = await pidOf(config, 'gone');
    if (!inKeplerCgroup(gone)) {
      console.warn('cgroup v2 is not usable here: cgroup sweep test skipped');
      expect((await d.cli(['stop', '-f', config])).code).toBe(0);
      return;
    }
    await d.crash();
    // `gone` ends while no daemon watches: its cgroup stays behind, empty.
    process.kill(gone, 'SIGKILL');
    const goneCgroup = cgroupsOf(config).find((n) => n.includes('.gone-'));
    expect(goneCgroup).toBeDefined();
    // An empty cgroup of a config this daemon does not know (another daemon's) must survive the sweep.
    const foreign = join(keplerRoot()!, `KEPLER_SERVICE_ID_${sha256(`${config}.other`).slice(0, 16)}.x-0`);
    mkdirSync(foreign);
    try {
      await waitFor(
        () => readFileSync(join(keplerRoot()!, goneCgroup!, 'cgroup.procs'), 'utf8') === '',
        'the killed service to leave its cgroup',
      );
      await d.start();
      expect(cgroupsOf(config).some((n) => n.includes('.gone-'))).toBe(false);
      expect((await d.service(config, 'app')).pid).toBe(app);
      expect(existsSync(foreign)).toBe(true);
      expect((await d.cli(['stop', '-f', config])).code).toBe(0);
      await waitFor(() => cgroupsOf(config).length === 0, 'no cgroup of the config', { timeoutMs: 5000 });
      expect(existsSync(foreign)).toBe(true);
    } finally {
      rmdirSync(foreign);
    }
  },
  T,
);
