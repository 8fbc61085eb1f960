import { join } from 'node:path';
import { alive, fileLines, procStat, TestDaemon, waitFor, writeScript } from '../testkit.js';

/** Generous: two cores shared with other suites. */
const T = 60_000;

const d = new TestDaemon('kepler-sup-stop');
beforeAll(() => d.start(), T);
afterAll(() => d.cleanup(), T);

type Info = Record<string, unknown>;

const waitStatus = (config: string, name: string, status: string, timeoutMs = 15_000): Promise<Info> =>
  d.waitStatus(config, name, status, timeoutMs);

/** A service that writes which signal it got into $OUT/<name>.sig, then exits 0. */
const TRAP_SCRIPT = `#!/bin/sh
for s in TERM INT HUP USR1; do
  trap "echo $s >> \\"$OUT/$NAME.sig\\"; exit 0" $s
done
echo $$ > "$OUT/$NAME.ready"
while :; do sleep 0.05; done
`;

describe('stop', () => {
  let dir: string;
  beforeAll(() => {
    dir = join(d.workDir, 'signals');
    writeScript(join(dir, 'trap.sh'), TRAP_SCRIPT);
  });

  function trapConfig(name: string, extra = ''): string {
    return d.writeConfig(
      `services:
  ${name}:
    command: ["./trap.sh"]
    environment: [OUT=${dir}, NAME=${name}]
${extra}`,
      `signals/${name}.kepler.yaml`,
    );
  }

  async function startReady(config: string, name: string): Promise<number> {
    expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
    const s = await waitStatus(config, name, 'running');
    // the traps are installed once the ready file exists
    await waitFor(
      () => fileLines(join(dir, `${name}.ready`))[0] === String(s.pid),
      `${name} to install its traps`,
    );
    return s.pid as number;
  }

  test.each([
    ['default SIGTERM', 'dflt', [], 'TERM'],
    ['-s INT', 'int', ['-s', 'INT'], 'INT'],
    ['-s SIGHUP', 'hup', ['-s', 'SIGHUP'], 'HUP'],
    ['-s 10 (SIGUSR1 by number)', 'usr1', ['-s', '10'], 'USR1'],
  ])(
    '%s reaches the service',
    async (_what, name, args, expected) => {
      const config = trapConfig(name);
      const pid = await startReady(config, name);
      const r = await d.cli(['stop', '-f', config, ...args]);
      expect(r.code).toBe(0);
      const s = await waitStatus(config, name, 'stopped');
      expect(fileLines(join(dir, `${name}.sig`))).toEqual([expected]);
      expect(s.exit_code).toBe(0); // the trap exited 0
      expect(alive(pid)).toBe(false);
    },
    T,
  );

  test(
    '-s SIGKILL and -s 9 kill without running the trap',
    async () => {
      for (const [name, sig] of [
        ['kill', 'SIGKILL'],
        ['nine', '9'],
      ] as const) {
        const config = trapConfig(name);
        const pid = await startReady(config, name);
        expect((await d.cli(['stop', '-f', config, '-s', sig])).code).toBe(0);
        const s = await waitStatus(config, name, 'stopped');
        expect(s.signal).toBe('SIGKILL');
        expect(fileLines(join(dir, `${name}.sig`))).toEqual([]);
        expect(alive(pid)).toBe(false);
      }
    },
    T,
  );

  test(
    'per-service stop_signal is used by default; -s overrides it',
    async () => {
      const config = trapConfig('perint', '    stop_signal: SIGINT\n');
      await startReady(config, 'perint');
      await d.cli(['stop', '-f', config]);
      await waitStatus(config, 'perint', 'stopped');
      expect(fileLines(join(dir, 'perint.sig'))).toEqual(['INT']);
      await startReady(config, 'perint');
      await d.cli(['stop', '-f', config, '-s', 'HUP']);
      await waitStatus(config, 'perint', 'stopped');
      expect(fileLines(join(dir, 'perint.sig'))).toEqual(['INT', 'HUP']);
    },
    T,
  );

  test(
    'a service ignoring SIGTERM is SIGKILLed after its stop_grace_period, not before',
    async () => {
      writeScript(
        join(dir, 'stubborn.sh'),
        `#!/bin/sh
trap 'date +%s%3N >> "$OUT/stubborn.term"' TERM
echo $$ > "$OUT/stubborn.ready"
while :; do sleep 0.05; done
`,
      );
      const config = d.writeConfig(
        `services:
  stubborn:
    command: ["./stubborn.sh"]
    environment: [OUT=${dir}]
    stop_grace_period: 1500ms
`,
        'signals/stubborn.kepler.yaml',
      );
      expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
      const s = await waitStatus(config, 'stubborn', 'running');
      await waitFor(() => fileLines(join(dir, 'stubborn.ready'))[0] === String(s.pid), 'stubborn to trap');
      const before = Date.now();
      expect((await d.cli(['stop', '-f', config])).code).toBe(0);
      const after = Date.now();
      const stopped = await waitStatus(config, 'stubborn', 'stopped');
      expect(stopped.signal).toBe('SIGKILL');
      const term = fileLines(join(dir, 'stubborn.term')).map(Number);
      expect(term.length).toBeGreaterThanOrEqual(1); // TERM came first and was survived
      const killedAt = Date.parse(String(stopped.stopped_at));
      // SIGKILL no earlier than the grace after TERM, and well before the 10 s default
      expect(killedAt - term[0]!).toBeGreaterThanOrEqual(1400);
      expect(after - before).toBeGreaterThanOrEqual(1400);
      expect(after - before).toBeLessThan(9_000);
      expect(alive(s.pid as number)).toBe(false);
    },
    T,
  );
});

describe('stopping leaves no descendant alive', () => {
  test(
    'children, grandchildren and a setsid double-forked escapee are all gone after stop',
    async () => {
      const dir = join(d.workDir, 'tree');
      const pids = join(dir, 'pids');
      writeScript(join(dir, 'tree.sh'), '#!/bin/sh\necho $$ >> "$PIDS"\n./child.sh &\nwait\n');
      writeScript(
        join(dir, 'child.sh'),
        '#!/bin/sh\necho $$ >> "$PIDS"\nsleep 300 &\necho $! >> "$PIDS"\nsetsid ./escapee.sh &\nwait\n',
      );
      // New session, then a double fork: the survivor is reparented away and ignores SIGTERM.
      writeScript(
        join(dir, 'escapee.sh'),
        `#!/bin/sh
echo $$ >> "$PIDS"
( sh -c 'trap "" TERM; echo $$ >> "$PIDS"; while :; do sleep 0.2; done' & )
exit 0
`,
      );
      const config = d.writeConfig(
        `services:
  tree:
    command: ["./tree.sh"]
    environment: [PIDS=${pids}]
    stop_grace_period: 1s
`,
        'tree/kepler.yaml',
      );
      expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
      // tree, child, sleep, escapee, double-forked survivor
      const recorded = await waitFor(() => {
        const l = fileLines(pids).map(Number);
        return l.length >= 5 ? l : null;
      }, 'every descendant to record its pid');
      const survivor = recorded[4]!;
      await waitFor(() => !alive(recorded[3]!), 'the escapee parent to exit (double fork done)');
      expect(alive(survivor)).toBe(true);
      // it really left the service's session and process group
      expect(procStat(survivor)?.sid).not.toBe(recorded[0]);
      expect(procStat(survivor)?.pgid).not.toBe(recorded[0]);
      expect(alive(recorded[0]!)).toBe(true);
      expect((await d.cli(['stop', '-f', config])).code).toBe(0);
      await waitStatus(config, 'tree', 'stopped');
      const survivors = fileLines(pids)
        .map(Number)
        .filter((p) => alive(p));
      expect(survivors).toEqual([]);
    },
    T,
  );
});

describe('stop all and restart', () => {
  test(
    'stopping all goes service by service in reverse config order',
    async () => {
      const dir = join(d.workDir, 'order');
      const order = join(dir, 'order');
      writeScript(
        join(dir, 'svc.sh'),
        `#!/bin/sh
trap 'echo "$NAME $(date +%s%3N)" >> "$ORDER"; sleep 0.1; exit 0' TERM
echo $$ > "$NAME.ready"
while :; do sleep 0.05; done
`,
      );
      const names = ['first', 'second', 'third', 'fourth'];
      const config = d.writeConfig(
        `services:\n${names
          .map((n) => `  ${n}:\n    command: ["./svc.sh"]\n    environment: [NAME=${n}, ORDER=${order}]\n`)
          .join('')}`,
        'order/kepler.yaml',
      );
      expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
      for (const n of names) {
        const s = await waitStatus(config, n, 'running');
        await waitFor(() => fileLines(join(dir, `${n}.ready`))[0] === String(s.pid), `${n} to trap`);
      }
      expect((await d.cli(['stop', '-f', config])).code).toBe(0);
      const lines = fileLines(order).map((l) => l.split(' '));
      expect(lines.map((l) => l[0])).toEqual([...names].reverse());
      const times = lines.map((l) => Number(l[1]));
      for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThanOrEqual(times[i - 1]!);
    },
    T,
  );

  test(
    'restart restarts only the services that are running',
    async () => {
      const config = d.writeConfig(
        `services:
  up:
    command: ["sleep", "300"]
  down:
    command: ["sleep", "300"]
  ended:
    command: ["true"]
`,
        'restart/kepler.yaml',
      );
      expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
      const up = await waitStatus(config, 'up', 'running');
      await waitStatus(config, 'down', 'running');
      await waitStatus(config, 'ended', 'exited');
      await d.cli(['stop', '-f', config, 'down']);
      await waitStatus(config, 'down', 'stopped');

      expect((await d.cli(['restart', '-d', '-f', config])).code).toBe(0);
      const up2 = await waitFor(async () => {
        const s = await d.service(config, 'up');
        return s.status === 'running' && s.pid !== up.pid ? s : null;
      }, 'up to run with a new pid');
      expect(alive(up.pid as number)).toBe(false);
      expect((await d.service(config, 'down')).status).toBe('stopped');
      expect((await d.service(config, 'ended')).status).toBe('exited');

      // naming a stopped service does not start it, and says so
      const named = await d.cli(['restart', '-d', '-f', config, 'down']);
      expect(named.code).toBe(0);
      expect(named.stdout).toBe('down is not running, so not restarted (`kepler start down` starts it)\n');
      expect((await d.service(config, 'down')).status).toBe('stopped');
      expect((await d.service(config, 'up')).pid).toBe(up2.pid);
      await d.cli(['stop', '-f', config]);
    },
    T,
  );
});
