import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileLines, TestDaemon, waitFor, writeScript, zombieChildrenOf } from '../testkit.js';

/** The live children of `pid` (Linux 3.5+ /proc/<pid>/task/<tid>/children). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Generous: two cores shared with other suites. */
const T = 60_000;

const d = new TestDaemon('kepler-sup-policy');
beforeAll(() => d.start(), T);
afterAll(() => d.cleanup(), T);

type Info = Record<string, unknown>;

const waitStatus = (config: string, name: string, status: string, timeoutMs = 15_000): Promise<Info> =>
  d.waitStatus(config, name, status, timeoutMs);

/**
 * `runs.sh RUNS_FILE EXIT_HOW N`: records each run, ends as EXIT_HOW (`0`, `3`, `kill`) for the first
 * N runs, then stays up.
 */
const RUNS_SCRIPT = `#!/bin/sh
echo "$(date +%s%3N)" >> "$1"
n=$(wc -l < "$1")
if [ "$n" -le "$3" ]; then
  case "$2" in
    kill) kill -9 $$ ;;
    *) exit "$2" ;;
  esac
fi
exec sleep 300
`;

describe('restart policies', () => {
  let dir: string;
  beforeAll(() => {
    dir = join(d.workDir, 'policies');
    writeScript(join(dir, 'runs.sh'), RUNS_SCRIPT);
  });

  function svc(name: string, policy: string | null, how: string, times: number): string {
    const restart = policy ? `    restart: ${policy}\n` : '';
    return `  ${name}:\n    command: ["./runs.sh", "${join(dir, `${name}.runs`)}", "${how}", "${times}"]\n${restart}`;
  }

  test(
    'no: exit 0 -> exited; non-zero -> failed with the code; signal -> failed with the signal',
    async () => {
      const config = d.writeConfig(
        `services:\n${svc('zero', null, '0', 9)}${svc('three', 'no', '3', 9)}${svc('sig', null, 'kill', 9)}`,
        'policies/no.kepler.yaml',
      );
      expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
      const zero = await waitStatus(config, 'zero', 'exited');
      expect(zero.exit_code).toBe(0);
      expect(zero.reason).toBeNull();
      const three = await waitStatus(config, 'three', 'failed');
      expect(three.exit_code).toBe(3);
      expect(String(three.reason)).toMatch(/exited with code 3/);
      const sig = await waitStatus(config, 'sig', 'failed');
      expect(sig.signal).toBe('SIGKILL');
      expect(String(sig.reason)).toMatch(/SIGKILL/);
      // and none of them ran twice
      for (const n of ['zero', 'three', 'sig']) {
        expect(fileLines(join(dir, `${n}.runs`))).toHaveLength(1);
        expect((await d.service(config, n)).restarts).toBe(0);
      }
    },
    T,
  );

  test(
    'on-failure: restarts after non-zero and signals, not after exit 0',
    async () => {
      const config = d.writeConfig(
        `services:\n${svc('ofzero', 'on-failure', '0', 1)}${svc('ofcode', 'on-failure', '2', 2)}${svc('ofsig', 'on-failure', 'kill', 2)}`,
        'policies/onfailure.kepler.yaml',
      );
      expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
      await waitStatus(config, 'ofzero', 'exited');
      for (const n of ['ofcode', 'ofsig']) {
        const s = await waitFor(async () => {
          const x = await d.service(config, n);
          return x.status === 'running' && fileLines(join(dir, `${n}.runs`)).length === 3 ? x : null;
        }, `${n} to run a third time`);
        expect(s.restarts).toBe(2);
      }
      expect(fileLines(join(dir, 'ofzero.runs'))).toHaveLength(1);
      await d.cli(['stop', '-f', config]);
    },
    T,
  );

  test(
    'always: restarts after exit 0 too',
    async () => {
      const config = d.writeConfig(
        `services:\n${svc('alw', 'always', '0', 2)}`,
        'policies/always.kepler.yaml',
      );
      expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
      const s = await waitFor(async () => {
        const x = await d.service(config, 'alw');
        return x.status === 'running' && fileLines(join(dir, 'alw.runs')).length === 3 ? x : null;
      }, 'alw to run a third time');
      expect(s.restarts).toBe(2);
      await d.cli(['stop', '-f', config]);
    },
    T,
  );
});

describe('backoff', () => {
  test(
    'first restart at once, then growing delays (100 ms doubling); ps shows restarting and the count',
    async () => {
      const dir = join(d.workDir, 'backoff');
      const runs = join(dir, 'crash.runs');
      writeScript(join(dir, 'crash.sh'), '#!/bin/sh\necho "$(date +%s%3N)" >> "$RUNS"\nexit 1\n');
      const config = d.writeConfig(
        `services:
  crash:
    command: ["./crash.sh"]
    environment: [RUNS=${runs}]
    restart: always
`,
        'backoff/kepler.yaml',
      );
      expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
      // Runs 1..6: expected delays before runs 2..6 are 0, 100, 200, 400, 800 ms.
      const times = await waitFor(
        () => {
          const t = fileLines(runs).map(Number);
          return t.length >= 6 ? t : null;
        },
        'six runs',
        { timeoutMs: 20_000 },
      );
      // During the next wait (1.6 s) ps shows restarting with the count.
      const waiting = await waitStatus(config, 'crash', 'restarting');
      expect(waiting.restarts as number).toBeGreaterThanOrEqual(5);
      expect(String(waiting.reason)).toMatch(/exited with code 1; restarting in \d+ ms/);
      await d.cli(['stop', '-f', config]);
      expect((await d.service(config, 'crash')).status).toBe('stopped');

      const gaps = times.slice(1, 6).map((t, i) => t - times[i]!);
      const [g1, g2, g3, g4, g5] = gaps as [number, number, number, number, number];
      // The first automatic restart happens at once; later ones wait at least the backoff.
      expect(g1).toBeLessThan(100);
      expect(g2).toBeGreaterThanOrEqual(90);
      expect(g3).toBeGreaterThanOrEqual(180);
      expect(g4).toBeGreaterThanOrEqual(360);
      expect(g5).toBeGreaterThanOrEqual(720);
      // growth, with loose upper bounds (shared machine)
      expect(g1).toBeLessThan(g2);
      expect(g2).toBeLessThan(g3);
      expect(g3).toBeLessThan(g4);
      expect(g4).toBeLessThan(g5);
      expect(g5).toBeLessThan(800 + 1500);
    },
    T,
  );

  test(
    'the delay resets after the service stayed up for reset_after',
    async () => {
      const dir = join(d.workDir, 'reset');
      const runs = join(dir, 'runs');
      // Runs 1-3 crash at once (delays 0, 300, 600 ms). Run 4 stays up 800 ms (> reset_after) then
      // crashes: without a reset the next delay would be 1200 ms; with it, the restart is immediate.
      writeScript(
        join(dir, 'svc.sh'),
        `#!/bin/sh
echo "start $(date +%s%3N)" >> "$RUNS"
n=$(grep -c start "$RUNS")
[ "$n" -le 3 ] && exit 1
if [ "$n" -eq 4 ]; then sleep 0.8; echo "end $(date +%s%3N)" >> "$RUNS"; exit 1; fi
exec sleep 300
`,
      );
      const config = d.writeConfig(
        `services:
  svc:
    command: ["./svc.sh"]
    environment: [RUNS=${runs}]
    restart:
      policy: on-failure
      backoff:
        initial: 300ms
        multiplier: 2
        max: 10s
        reset_after: 500ms
`,
        'reset/kepler.yaml',
      );
      expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
      const lines = await waitFor(
        () => {
          const l = fileLines(runs);
          return l.filter((x) => x.startsWith('start')).length >= 5 ? l : null;
        },
        'a fifth run',
        { timeoutMs: 20_000 },
      );
      const at = (prefix: string, i: number) =>
        Number(lines.filter((l) => l.startsWith(prefix))[i]!.split(' ')[1]);
      const starts = [0, 1, 2, 3, 4].map((i) => at('start', i));
      expect(starts[2]! - starts[1]!).toBeGreaterThanOrEqual(270); // the backoff had grown
      expect(starts[3]! - starts[2]!).toBeGreaterThanOrEqual(540);
      const afterReset = starts[4]! - at('end', 0);
      expect(afterReset).toBeLessThan(600); // not the 1200 ms the streak would have given
      expect((await waitStatus(config, 'svc', 'running')).restarts).toBe(4);
      await d.cli(['stop', '-f', config]);
    },
    T,
  );
});

describe('reaping', () => {
  test(
    'no zombie children of the daemon after many exits, crashes and stops',
    async () => {
      const dir = join(d.workDir, 'zombies');
      writeScript(join(dir, 'fork.sh'), '#!/bin/sh\nsleep 0.01 &\nsleep 0.01 &\nexit 1\n');
      const config = d.writeConfig(
        `services:
${[1, 2, 3]
  .map(
    (i) => `  z${i}:
    command: ["./fork.sh"]
    restart:
      policy: always
      backoff: { initial: 10ms, max: 20ms }
`,
  )
  .join('')}`,
        'zombies/kepler.yaml',
      );
      expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
      await waitFor(
        async () => (await d.ps(config)).every((s) => (s.restarts as number) >= 10),
        'each service to restart ten times',
        { timeoutMs: 20_000 },
      );
      await d.cli(['stop', '-f', config]);
      // A zombie can exist for an instant between exit and reap; a leaked one never goes away.
      // Services are children of the daemon's fork server (kepler-spawner), when it is built.
      const parents = [d.pid, ...childrenOf(d.pid)];
      await waitFor(
        () => parents.every((p) => zombieChildrenOf(p).length === 0),
        'no zombie children of the daemon',
        {
          timeoutMs: 5_000,
        },
      );
    },
    T,
  );
});
