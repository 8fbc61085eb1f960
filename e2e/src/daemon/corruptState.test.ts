// Issue 9, defects 5 and 6: a corrupt state.json (or a lost spawned/ journal) at daemon start. One bad
// field must not break `ps` for every config, and a service whose process survived untracked must
// never get a second copy. Black-box: the built daemon and CLI, state files edited while it is down.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { alive, sha256, TestDaemon, waitFor } from '../testkit.js';

/** Generous: two cores shared with other suites. */
const T = 90_000;

type Info = Record<string, unknown>;
type StateJson = { services: Record<string, Record<string, unknown>> };

/** A daemon whose services run without cgroups: the /proc marker sweep is then the only way to find them. */
class NoCgroupDaemon extends TestDaemon {
  override get env(): NodeJS.ProcessEnv {
    return { ...super.env, KEPLER_CGROUPS: 'off' };
  }
}

/** Live processes (not zombies) whose environment carries the service's marker. */
function processesOf(config: string, service: string): number[] {
  const marker = `KEPLER_SERVICE_ID=${sha256(config).slice(0, 16)}.${service}`;
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const env = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      if (env.includes(marker) && alive(Number(entry))) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

function editState(d: TestDaemon, config: string, edit: (s: StateJson) => void): void {
  const file = join(d.configStateDir(config), 'state.json');
  const state = JSON.parse(readFileSync(file, 'utf8')) as StateJson;
  edit(state);
  writeFileSync(file, JSON.stringify(state));
}

async function psAll(d: TestDaemon): Promise<{ code: number; rows: Info[]; stderr: string }> {
  const r = await d.cli(['ps', '--all', '--json']);
  return { code: r.code, rows: r.code === 0 ? (JSON.parse(r.stdout) as Info[]) : [], stderr: r.stderr };
}

describe('one bad field in one state.json (defect 5)', () => {
  const d = new TestDaemon('kepler-e2e-corrupt');
  let a: string;
  let b: string;
  beforeAll(async () => {
    await d.start();
    a = d.writeConfig('services:\n  web:\n    command: ["sleep", "300"]\n', 'a/kepler.yaml');
    b = d.writeConfig('services:\n  api:\n    command: ["sleep", "300"]\n', 'b/kepler.yaml');
  }, T);
  afterAll(() => d.cleanup(), T);

  test(
    'restarts: -5 is reported in ps and daemon.log; the process is still adopted; other configs are untouched',
    async () => {
      expect((await d.cli(['start', '-d', '-f', a])).code).toBe(0);
      expect((await d.cli(['start', '-d', '-f', b])).code).toBe(0);
      const web = (await d.waitStatus(a, 'web', 'running')).pid as number;
      const api = (await d.waitStatus(b, 'api', 'running')).pid as number;
      await waitFor(() => {
        const s = JSON.parse(readFileSync(join(d.configStateDir(a), 'state.json'), 'utf8')) as StateJson;
        return s.services.web?.pid === web;
      }, 'state.json to record web');
      await d.crash();
      editState(d, a, (s) => {
        s.services.web!.restarts = -5;
      });
      await d.start();

      for (const args of [
        ['ps', '--all'],
        ['ps', '-f', a],
        ['ps', '--all', '--json'],
      ]) {
        const r = await d.cli(args);
        expect({ args, code: r.code }).toEqual({ args, code: 0 });
        // The config's reason: which file, which field.
        expect(r.stderr).toContain(a);
        expect(r.stderr).toMatch(/state\.json.*services\.web\.restarts/);
        expect(r.stderr).not.toContain(b);
      }
      const { rows } = await psAll(d);
      const by = Object.fromEntries(rows.map((s) => [`${s.config}:${s.name}`, s]));
      expect(by[`${a}:web`]).toMatchObject({ status: 'running', pid: web, restarts: 0 });
      expect(by[`${b}:api`]).toMatchObject({ status: 'running', pid: api, restarts: 0 });
      expect(d.log).toMatch(/state\.json.*services\.web\.restarts/);
      expect(processesOf(a, 'web')).toEqual([web]);
    },
    T,
  );

  test(
    'status: "bogus" does not break start: the recorded process is adopted, not started twice',
    async () => {
      const web = (await d.waitStatus(a, 'web', 'running')).pid as number;
      await d.crash();
      editState(d, a, (s) => {
        s.services.web!.status = 'bogus';
      });
      await d.start();
      const ps = await d.cli(['ps', '-f', a]);
      expect(ps.code).toBe(0);
      expect(ps.stderr).toMatch(/services\.web\.status/);
      const start = await d.cli(['start', '-d', '-f', a]);
      expect({ code: start.code, stderr: start.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
      expect(start.stderr).not.toMatch(/Cannot read properties/);
      expect(await d.service(a, 'web')).toMatchObject({ status: 'running', pid: web });
      expect(processesOf(a, 'web')).toEqual([web]);
    },
    T,
  );

  test(
    'an unparseable state.json: the config loads (services stopped or adopted), the reason shows in ps',
    async () => {
      expect((await d.cli(['stop', '-f', a])).code).toBe(0);
      await d.crash();
      writeFileSync(join(d.configStateDir(a), 'state.json'), '{"version": 1, "services": [');
      await d.start();
      const r = await psAll(d);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain(a);
      expect(r.stderr).toMatch(/state\.json.*(JSON|parse)/i);
      const mine = r.rows.filter((s) => s.config === a);
      expect(mine.map((s) => [s.name, s.status])).toEqual([['web', 'stopped']]);
      expect(r.rows.filter((s) => s.config === b).map((s) => s.status)).toEqual(['running']);
    },
    T,
  );
});

/**
 * The scenario of defect 6: state.json garbage and spawned/ lost while a service ran. Nothing then
 * names the running process; `start` must not launch a second copy beside it, and `stop` must be able
 * to end it.
 */
function untrackedProcessSuite(label: string, make: () => TestDaemon): void {
  describe(`an untracked live process of a service (defect 6, ${label})`, () => {
    const d = make();
    beforeAll(() => d.start(), T);
    afterAll(() => d.cleanup(), T);

    test(
      'start refuses naming the pids, exactly one copy runs, stop leaves none, then start runs one',
      async () => {
        const config = d.writeConfig(
          'services:\n  web:\n    command: ["sh", "-c", "sleep 300 & wait"]\n    restart: always\n',
          'dup/kepler.yaml',
        );
        expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
        await d.waitStatus(config, 'web', 'running');
        const before = await waitFor(() => {
          const p = processesOf(config, 'web');
          return p.length === 2 ? p : null;
        }, 'web and its child to run');
        await d.crash();
        writeFileSync(join(d.configStateDir(config), 'state.json'), 'garbage');
        rmSync(join(d.configStateDir(config), 'spawned'), { recursive: true, force: true });
        await d.start();

        // The defect: this start ran a second copy beside the untracked one.
        const start = await d.cli(['start', '-d', '-f', config]);
        expect(start.code).toBe(1);
        expect(processesOf(config, 'web').sort()).toEqual([...before].sort());
        for (const pid of before) expect(start.stderr).toContain(String(pid));
        expect(start.stderr).toContain('kepler stop');
        expect((await d.service(config, 'web')).status).toBe('stopped');
        // In the foreground too, and without first announcing what it would follow.
        const fg = await d.cli(['start', '-f', config], { timeoutMs: 30_000 });
        expect({ code: fg.code, stdout: fg.stdout }).toEqual({ code: 1, stdout: '' });
        expect(fg.stderr).toMatch(/^cannot start web: /);
        expect(processesOf(config, 'web').sort()).toEqual([...before].sort());
        const ps = await d.cli(['ps', '-f', config]);
        expect(ps.code).toBe(0);
        for (const pid of before) expect(ps.stderr).toContain(String(pid));

        const stop = await d.cli(['stop', '-f', config]);
        expect(stop.code).toBe(0);
        await waitFor(() => processesOf(config, 'web').length === 0, 'the untracked processes to be gone');
        expect((await d.cli(['ps', '-f', config])).stderr).toBe('');

        expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
        const now = (await d.waitStatus(config, 'web', 'running')).pid as number;
        await waitFor(() => processesOf(config, 'web').length === 2, 'one new copy (web and its child)');
        expect(processesOf(config, 'web')).toContain(now);
        expect((await d.cli(['stop', '-f', config])).code).toBe(0);
        expect(processesOf(config, 'web')).toEqual([]);
      },
      T,
    );
  });
}

untrackedProcessSuite('cgroups when available', () => new TestDaemon('kepler-e2e-dup'));
untrackedProcessSuite('KEPLER_CGROUPS=off', () => new NoCgroupDaemon('kepler-e2e-dup-nocg'));

describe('a state.json the daemon wrote itself', () => {
  const d = new TestDaemon('kepler-e2e-ownstate');
  beforeAll(() => d.start(), T);
  afterAll(() => d.cleanup(), T);

  test(
    'is not reported as invalid after a start, a stop and a daemon restart',
    async () => {
      const config = d.writeConfig('services:\n  web:\n    command: ["sleep", "300"]\n');
      expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
      await d.waitStatus(config, 'web', 'running');
      expect((await d.cli(['stop', '-f', config])).code).toBe(0);
      await d.stop();
      await d.start();
      const ps = await d.cli(['ps', '-f', config]);
      expect({ code: ps.code, stderr: ps.stderr }).toEqual({ code: 0, stderr: '' });
      expect(d.log).not.toMatch(/state\.json/);
      expect(await d.service(config, 'web')).toMatchObject({ status: 'stopped' });
    },
    T,
  );
});
