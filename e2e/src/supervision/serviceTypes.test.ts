// Service types (oneshot, forking) and stop_command, on the real daemon with real processes.
import { join } from 'node:path';
import { alive, fileLines, procStat, TestDaemon, waitFor, writeScript } from '../testkit.js';

/** Generous: two cores shared with other suites. */
const T = 60_000;

const d = new TestDaemon('kepler-svctypes');
beforeAll(() => d.start(), T);
afterAll(() => d.cleanup(), T);

type Info = Record<string, unknown>;

describe('type: oneshot', () => {
  /** A migration (oneshot) gating a server that records whether the migration had run when it started. */
  function migrationConfig(name: string, migrateExit: number): { config: string; dir: string } {
    const dir = join(d.workDir, name);
    const config = d.writeConfig(
      `services:
  migrate:
    type: oneshot
    command: ["sh", "-c", "sleep 0.3; echo done > migrated; exit ${migrateExit}"]
  server:
    command: ["sh", "-c", "cat migrated > seen 2>&1; exec sleep 300"]
    depends_on: [migrate]
`,
      `${name}/kepler.yaml`,
    );
    return { config, dir };
  }

  test(
    'start -d --wait returns once the migration exited 0 and the server it gates runs',
    async () => {
      const { config, dir } = migrationConfig('migration-ok', 0);
      const r = await d.cli(['start', '-d', '--wait', '--timeout', '30s', '-f', config]);
      expect(r.code).toBe(0);
      const migrate = await d.service(config, 'migrate');
      expect(migrate).toMatchObject({ status: 'exited', exit_code: 0 });
      expect((await d.service(config, 'server')).status).toBe('running');
      // The server started after the migration: it saw its result.
      await waitFor(() => fileLines(join(dir, 'seen'))[0] === 'done', 'the server to read the migration');
      expect((await d.cli(['stop', '-f', config])).code).toBe(0);
    },
    T,
  );

  test(
    'a failing migration fails the wait and the server never starts',
    async () => {
      const { config, dir } = migrationConfig('migration-bad', 4);
      const r = await d.cli(['start', '-d', '--wait', '--timeout', '30s', '-f', config]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('migrate');
      expect(await d.service(config, 'migrate')).toMatchObject({ status: 'failed', exit_code: 4 });
      const server = await d.waitStatus(config, 'server', 'failed');
      expect(server.pid).toBeNull();
      expect(fileLines(join(dir, 'seen'))).toEqual([]);
      await d.cli(['stop', '-f', config]);
    },
    T,
  );
});

/**
 * A daemonising server: the start command returns at once; the daemon, a grandchild in a session of
 * its own, has a child in its group and one that left it (setsid), then writes its pid file.
 */
const DAEMONISE = `#!/bin/sh
( setsid sh -c '
    sleep 300 & echo $! >> "$1.children"
    setsid sleep 301 & echo $! >> "$1.children"
    echo $$ > "$1"
    wait' sh "$PIDFILE" & )
exit 0
`;

describe('type: forking', () => {
  let dir: string;
  let config: string;
  const pidFile = () => join(dir, 'run', 'dbd.pid');
  const daemonPid = () => Number(fileLines(pidFile())[0]);

  beforeAll(() => {
    dir = join(d.workDir, 'forking');
    writeScript(join(dir, 'dbd.sh'), DAEMONISE);
    writeScript(join(dir, 'run', '.keep'), '');
    config = d.writeConfig(
      `services:
  db:
    type: forking
    command: ["./dbd.sh"]
    pid_file: run/dbd.pid
    environment: [PIDFILE=${join(dir, 'run', 'dbd.pid')}]
    restart: on-failure
`,
      'forking/kepler.yaml',
    );
  });

  async function runningDaemon(not?: number): Promise<Info> {
    return waitFor(
      async () => {
        const s = await d.service(config, 'db');
        return s.status === 'running' && s.pid !== not && s.pid === daemonPid() ? s : null;
      },
      'db to run the daemon its pid file names',
      { timeoutMs: 15_000 },
    );
  }

  test(
    'supervises the daemonised pid: a kill restarts it, a crash of Kepler adopts it, a stop leaves nothing',
    async () => {
      expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
      const first = (await runningDaemon()).pid as number;
      expect(alive(first)).toBe(true);
      expect(procStat(first)?.sid).toBe(first); // the daemon, in its own session: not the start command
      // Re-parented to Kepler's fork server (its subreaper), which reports its exit: nothing polls it.
      // (KEPLER_SPAWNER=off starts services without it: then init adopts the daemon and it is polled.)
      if (process.env.KEPLER_SPAWNER !== 'off')
        expect(procStat(procStat(first)?.ppid ?? 0)?.ppid).toBe(d.pid);

      // Killed: the exit is noticed and the restart policy starts it again.
      process.kill(first, 'SIGKILL');
      const second = (await runningDaemon(first)).pid as number;
      const afterKill = await d.service(config, 'db');
      expect(afterKill.restarts).toBe(1);

      // Kepler killed -9 and started again: the daemon is adopted, still supervised.
      await d.crash();
      await d.start();
      expect((await runningDaemon()).pid).toBe(second);
      process.kill(second, 'SIGKILL');
      const third = (await runningDaemon(second)).pid as number;
      expect(alive(third)).toBe(true);

      // Stop: the daemon, its children and its escapees (of every run) are all gone.
      expect((await d.cli(['stop', '-f', config])).code).toBe(0);
      expect((await d.service(config, 'db')).status).toBe('stopped');
      const everyone = [first, second, third, ...fileLines(`${pidFile()}.children`).map(Number)];
      expect(everyone.length).toBe(9);
      expect(everyone.filter(alive)).toEqual([]);
    },
    T,
  );

  test(
    'a pid file that never appears fails the start, naming the file and the timeout',
    async () => {
      writeScript(join(dir, 'nothing.sh'), '#!/bin/sh\nexit 0\n');
      const never = d.writeConfig(
        `services:
  ghost:
    type: forking
    command: ["./nothing.sh"]
    pid_file: ghost.pid
    start_timeout: 1s
`,
        'forking/ghost.kepler.yaml',
      );
      const r = await d.cli(['start', '-d', '--wait', '--timeout', '30s', '-f', never]);
      expect(r.code).not.toBe(0);
      const s = await d.waitStatus(never, 'ghost', 'failed');
      expect(s.reason).toBe(`pid file ${join(dir, 'ghost.pid')} did not appear within 1s (start_timeout)`);
    },
    T,
  );

  test(
    'a pid file naming a dead process (a program that did not daemonise) fails the start at once',
    async () => {
      const config = d.writeConfig(
        `services:
  stay:
    type: forking
    command: ["sh", "-c", "echo $$ > stay.pid"]
    pid_file: stay.pid
    start_timeout: 1h
`,
        'forking/stay.kepler.yaml',
      );
      expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
      const s = await d.waitStatus(config, 'stay', 'failed');
      const pid = fileLines(join(dir, 'stay.pid'))[0];
      expect(s.reason).toBe(`pid file ${join(dir, 'stay.pid')} names pid ${pid}, which is not running`);
    },
    T,
  );
});

describe('stop_command', () => {
  let dir: string;
  beforeAll(() => {
    dir = join(d.workDir, 'stopcmd');
    // Ignores SIGTERM (records it); exits 0 on SIGUSR1, which only its stop command sends.
    writeScript(
      join(dir, 'stubborn.sh'),
      `#!/bin/sh
trap 'echo TERM >> "$OUT/$NAME.signals"' TERM
trap 'echo USR1 >> "$OUT/$NAME.signals"; exit 0' USR1
echo $$ > "$OUT/$NAME.pid"
while :; do sleep 0.05; done
`,
    );
    writeScript(join(dir, 'stop.sh'), '#!/bin/sh\nkill -USR1 "$(cat "$OUT/$NAME.pid")"\n');
  });

  function stopConfig(name: string, stop: string, grace: string): string {
    return d.writeConfig(
      `services:
  ${name}:
    command: ["./stubborn.sh"]
    environment: [OUT=${dir}, NAME=${name}]
    stop_command: ${stop}
    stop_grace_period: ${grace}
`,
      `stopcmd/${name}.kepler.yaml`,
    );
  }

  async function startReady(config: string, name: string): Promise<number> {
    expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
    const s = await d.waitStatus(config, name, 'running');
    await waitFor(() => fileLines(join(dir, `${name}.pid`))[0] === String(s.pid), `${name} to trap`);
    return s.pid as number;
  }

  test(
    'stops a process that ignores SIGTERM (argv form, with the service environment)',
    async () => {
      const config = stopConfig('polite', '["./stop.sh"]', '60s');
      const pid = await startReady(config, 'polite');
      expect((await d.cli(['stop', '-f', config])).code).toBe(0);
      const s = await d.waitStatus(config, 'polite', 'stopped');
      expect(s).toMatchObject({ exit_code: 0, signal: null });
      expect(fileLines(join(dir, 'polite.signals'))).toEqual(['USR1']);
      expect(alive(pid)).toBe(false);
    },
    T,
  );

  test(
    'one that does nothing: the stop signal, then SIGKILL, follow after the grace period',
    async () => {
      const config = stopConfig('deaf', 'echo ran >> "$OUT/$NAME.ctl"', '1s');
      const pid = await startReady(config, 'deaf');
      expect((await d.cli(['stop', '-f', config])).code).toBe(0);
      const s = await d.waitStatus(config, 'deaf', 'stopped');
      expect(s.signal).toBe('SIGKILL');
      expect(fileLines(join(dir, 'deaf.ctl'))).toEqual(['ran']);
      expect(fileLines(join(dir, 'deaf.signals'))).toEqual(['TERM']);
      expect(alive(pid)).toBe(false);
    },
    T,
  );
});
