import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { alive, fileLines, TestDaemon, waitFor, writeScript } from '../testkit.js';

/** Generous: two cores shared with other suites. */
const T = 90_000;

const d = new TestDaemon('kepler-sup-crash');
beforeAll(() => d.start(), T);
afterAll(() => d.cleanup(), T);

type Info = Record<string, unknown>;

const waitStatus = (config: string, name: string, status: string, timeoutMs = 15_000): Promise<Info> =>
  d.waitStatus(config, name, status, timeoutMs);

/** The counter values in a service's stdout log, in order. */
function counter(config: string, name: string): number[] {
  return d
    .readLogFile(config, `${name}.stdout.log`)
    .split('\n')
    .filter(Boolean)
    .map((l) => Number(l.slice(l.indexOf(' ') + 1)));
}

function expectContiguous(values: number[]): void {
  expect(values[0]).toBe(0);
  const gaps = values.filter((v, i) => v !== i);
  expect(gaps).toEqual([]);
}

describe('surviving a daemon crash', () => {
  test(
    'a running service keeps its pid, nothing written while the daemon was down is lost, its exit is noticed and its policy applies',
    async () => {
      const dir = join(d.workDir, 'crash');
      writeScript(
        join(dir, 'count.sh'),
        '#!/bin/sh\ni=0\nwhile :; do echo $i; i=$((i+1)); sleep 0.02; done\n',
      );
      const config = d.writeConfig(
        `services:
  counter:
    command: ["./count.sh"]
    restart: on-failure
`,
        'crash/kepler.yaml',
      );
      expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
      const before = await waitStatus(config, 'counter', 'running');
      await waitFor(() => counter(config, 'counter').length >= 10, 'ten lines captured');

      await d.crash();
      const atCrash = counter(config, 'counter').length;
      // The service keeps writing (into its FIFO) while no daemon reads.
      expect(alive(before.pid as number)).toBe(true);
      const downSince = Date.now();
      await waitFor(() => Date.now() - downSince >= 600, 'the daemon to stay down a while', {
        intervalMs: 100,
      });
      expect(counter(config, 'counter').length).toBe(atCrash); // nobody captured in between
      await d.start();

      const after = await waitStatus(config, 'counter', 'running');
      expect(after.pid).toBe(before.pid); // adopted, not restarted
      expect(after.restarts).toBe(0);
      // every line, including the ~30 written while the daemon was down, with no gap in the counter
      const values = await waitFor(() => {
        const v = counter(config, 'counter');
        return v.length >= atCrash + 40 ? v : null;
      }, 'new lines after the restart');
      expectContiguous(values);

      // Its later exit is noticed and the restart policy (on-failure) applies.
      process.kill(before.pid as number, 'SIGKILL');
      const restarted = await waitFor(async () => {
        const s = await d.service(config, 'counter');
        return s.status === 'running' && s.pid !== before.pid ? s : null;
      }, 'the adopted service to be restarted by its policy');
      expect(restarted.restarts).toBe(1);
      await d.cli(['stop', '-f', config]);
    },
    T,
  );

  test(
    '`kepler daemon stop` after a crash still stops every service first',
    async () => {
      const config = d.writeConfig(
        `services:
  one:
    command: ["sleep", "300"]
  two:
    command: ["sleep", "300"]
`,
        'crashstop/kepler.yaml',
      );
      expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
      const pids = [
        (await waitStatus(config, 'one', 'running')).pid,
        (await waitStatus(config, 'two', 'running')).pid,
      ] as number[];
      await d.crash();
      await d.start();
      // no request names the config: the daemon recovered it on its own at startup
      await d.stop();
      expect(pids.filter((p) => alive(p))).toEqual([]);
      await d.start();
      const ps = await d.ps(config);
      expect(ps.map((s) => s.status)).toEqual(['stopped', 'stopped']);
    },
    T,
  );

  test(
    'a spawn that state.json does not show yet (daemon killed right after it) is adopted, not started twice',
    async () => {
      const dir = join(d.workDir, 'journal');
      const starts = join(dir, 'starts');
      const config = d.writeConfig(
        `services:
  once:
    command: ["sh", "-c", "echo started >> ${starts}; exec sleep 300"]
`,
        'journal/kepler.yaml',
      );
      expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
      const pid = (await waitStatus(config, 'once', 'running')).pid as number;
      await waitFor(() => fileLines(starts).length === 1, 'the start to be recorded');
      await d.crash();
      // What the disk holds when the daemon dies between the spawn and its state.json write: the
      // state from before the launch (spawned/once already names the new process).
      const stateFile = join(d.configStateDir(config), 'state.json');
      const state = JSON.parse(readFileSync(stateFile, 'utf8')) as {
        services: Record<string, Record<string, unknown>>;
      };
      Object.assign(state.services.once!, { status: 'starting', pid: null, start_time: null, spawns: 0 });
      writeFileSync(stateFile, JSON.stringify(state));

      await d.start();
      const s = await d.service(config, 'once');
      expect([s.status, s.pid]).toEqual(['running', pid]);
      expect(alive(pid)).toBe(true);
      expect(fileLines(starts)).toEqual(['started']);
      // Adopted for real: its exit is noticed.
      process.kill(pid, 'SIGKILL');
      await waitStatus(config, 'once', 'failed');
      expect(fileLines(starts)).toEqual(['started']);
    },
    T,
  );

  test(
    'a service removed and added again by recreate does not take over its old spawn record',
    async () => {
      const yaml = (services: string) => `services:\n${services}`;
      const web = '  web:\n    command: ["sleep", "300"]\n    restart: always\n';
      const other = '  other:\n    command: ["sleep", "300"]\n';
      const config = d.writeConfig(yaml(web), 'readded/kepler.yaml');
      expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
      await waitStatus(config, 'web', 'running');
      expect((await d.cli(['stop', '-f', config])).code).toBe(0);
      d.writeConfig(yaml(other), 'readded/kepler.yaml');
      expect((await d.cli(['recreate', '-f', config])).code).toBe(0);
      d.writeConfig(yaml(web + other), 'readded/kepler.yaml');
      expect((await d.cli(['recreate', '-f', config])).code).toBe(0);
      await d.crash();
      await d.start();
      expect((await d.ps(config)).map((s) => [s.name, s.status])).toEqual([
        ['web', 'stopped'],
        ['other', 'stopped'],
      ]);
    },
    T,
  );

  test(
    'a service restarted for dying while the daemon was down restarts its restart: true dependents',
    async () => {
      const config = d.writeConfig(
        `services:
  db:
    command: ["sleep", "300"]
    restart: always
  api:
    command: ["sleep", "300"]
    depends_on:
      db: { condition: service_started, restart: true }
`,
        'died-while-down/kepler.yaml',
      );
      expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
      const db = (await waitStatus(config, 'db', 'running')).pid as number;
      const api = (await waitStatus(config, 'api', 'running')).pid as number;
      await d.crash();
      process.kill(db, 'SIGKILL');
      await waitFor(() => !alive(db), 'db to die');
      await d.start();
      // As after a crash the daemon sees: db runs again, and api with it.
      await waitFor(async () => {
        const s = await d.service(config, 'db');
        return s.status === 'running' && s.pid !== db;
      }, 'db to run again');
      const after = await waitFor(async () => {
        const s = await d.service(config, 'api');
        return s.status === 'running' && s.pid !== api ? s : null;
      }, 'api to restart with db');
      expect(after.pid).not.toBe(api);
      await waitFor(() => !alive(api), 'the old api process to be gone');
    },
    T,
  );

  test(
    'without state.json, a spawn record never restarts a service the user stopped',
    async () => {
      const config = d.writeConfig(
        'services:\n  tick:\n    command: ["sleep", "300"]\n    restart: always\n',
        'lost-state/kepler.yaml',
      );
      expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
      const pid = (await waitStatus(config, 'tick', 'running')).pid as number;
      expect((await d.cli(['stop', '-f', config])).code).toBe(0);
      await waitFor(() => !alive(pid), 'tick to be gone');
      await d.crash();
      writeFileSync(join(d.configStateDir(config), 'state.json'), '');
      await d.start();
      expect((await d.service(config, 'tick')).status).toBe('stopped');
    },
    T,
  );

  test(
    'a recycled pid (live, but another start time) is neither adopted nor signalled',
    async () => {
      const dir = join(d.workDir, 'recycled');
      const config = d.writeConfig(
        `services:
  victim:
    command: ["sleep", "300"]
`,
        'recycled/kepler.yaml',
      );
      expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
      const original = (await waitStatus(config, 'victim', 'running')).pid as number;
      await d.crash();
      process.kill(original, 'SIGKILL');
      await waitFor(() => !alive(original), 'the original process to die');

      // An unrelated process that records any signal it gets.
      const sigFile = join(dir, 'stranger.sig');
      writeScript(
        join(dir, 'stranger.sh'),
        `#!/bin/sh\nfor s in TERM INT HUP KILL; do trap "echo $s >> ${sigFile}" $s 2>/dev/null; done\necho ready > ${sigFile}.ready\nwhile :; do sleep 0.05; done\n`,
      );
      const stranger = spawn(join(dir, 'stranger.sh'), [], { stdio: 'ignore', detached: true });
      const strangerPid = stranger.pid!;
      try {
        await waitFor(() => fileLines(`${sigFile}.ready`).length > 0, 'the stranger to start');
        const stateFile = join(d.configStateDir(config), 'state.json');
        const state = JSON.parse(readFileSync(stateFile, 'utf8')) as {
          services: Record<string, { status: string; pid: number | null; start_time: string | null }>;
        };
        const victim = state.services.victim!;
        expect(victim.status).toBe('running');
        victim.pid = strangerPid; // same pid number, but the recorded start time is the old process's
        writeFileSync(stateFile, JSON.stringify(state));

        await d.start();
        const s = await waitFor(async () => {
          const x = await d.service(config, 'victim');
          return x.status !== 'running' ? x : null;
        }, 'the victim to be recognised as gone');
        expect(s.pid).not.toBe(strangerPid);
        expect(s.status).toBe('failed');
        await d.stop();
        expect(alive(strangerPid)).toBe(true);
        expect(fileLines(sigFile)).toEqual([]);
        await d.start();
      } finally {
        process.kill(-strangerPid, 'SIGKILL');
      }
    },
    T,
  );
});
