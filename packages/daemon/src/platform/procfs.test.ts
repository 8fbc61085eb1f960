import { chmodSync, copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTmpDir, Reaper, spec, TEST_PATH, uniqueName, waitFor } from './__tests__/helpers.js';
import {
  findProcessesByMarker,
  isSameProcess,
  readStartTime,
  readStat,
  scanProcesses,
  watchForeignExit,
} from './procfs.js';
import { spawnService } from './spawn.js';
import { forkServer } from './spawner/startViaSpawner.js';

const reaper = new Reaper();
afterEach(() => reaper.killAll());

/** A pid above pid_max can never exist. */
const NO_SUCH_PID = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8')) + 1;

async function sleeper(env: Record<string, string> = {}) {
  const proc = await spawnService(
    spec({ command: ['sleep', '60'], env: { PATH: TEST_PATH, ...env }, stdout: 'ignore', stderr: 'ignore' }),
  );
  reaper.add(proc.pid);
  return proc;
}

describe('start time and pid reuse', () => {
  test('readStartTime reads a live process and is stable', () => {
    const t = readStartTime(process.pid);
    expect(t).toMatch(/^\d+$/);
    expect(readStartTime(process.pid)).toBe(t);
  });

  test('readStartTime is null for a missing process', () => {
    expect(readStartTime(NO_SUCH_PID)).toBeNull();
  });

  test('isSameProcess compares the start time', async () => {
    const proc = await sleeper();
    expect(isSameProcess(proc.pid, proc.startTime)).toBe(true);
    expect(isSameProcess(proc.pid, String(Number(proc.startTime) + 1))).toBe(false);
    expect(isSameProcess(NO_SUCH_PID, proc.startTime)).toBe(false);
    process.kill(proc.pid, 'SIGKILL');
    await proc.exited;
    expect(isSameProcess(proc.pid, proc.startTime)).toBe(false);
  });

  test('a zombie counts as gone', async () => {
    // sh forks `true`, then execs sleep, which never reaps it: the child stays a zombie.
    const proc = await spawnService(
      spec({ command: ['sh', '-c', 'true & exec sleep 60'], stdout: 'ignore' }),
    );
    reaper.add(proc.pid);
    const zombie = await waitFor(async () => {
      const snap = [...readFileSync(`/proc/${proc.pid}/task/${proc.pid}/children`, 'utf8').trim().split(' ')];
      const pid = Number(snap[0]);
      return pid > 0 && readStat(pid)?.state === 'Z' ? pid : null;
    }, 'a zombie child');
    expect(readStat(zombie)?.state).toBe('Z');
    expect(readStartTime(zombie)).toBeNull();
    const snap = await scanProcesses([]);
    expect(snap.stats.has(zombie)).toBe(false);
    expect(snap.stats.has(proc.pid)).toBe(true);
  });

  test('readStat parses a command name with spaces and parentheses', async () => {
    const dir = makeTmpDir();
    const odd = join(dir, 'a) (b c');
    copyFileSync('/bin/sleep', odd);
    chmodSync(odd, 0o755);
    const proc = await spawnService(spec({ command: [odd, '60'], stdout: 'ignore', stderr: 'ignore' }));
    reaper.add(proc.pid);
    expect(readFileSync(`/proc/${proc.pid}/stat`, 'latin1')).toContain('(a) (b c)');
    const st = readStat(proc.pid);
    expect(st).toEqual({
      pid: proc.pid,
      state: expect.stringMatching(/^[RSD]$/),
      ppid: forkServer()?.pid ?? process.pid, // its parent: the fork server when built, else us
      pgid: proc.pid,
      startTime: proc.startTime,
    });
  });
});

describe('markers', () => {
  test('finds processes carrying the exact KEY=VALUE entry', async () => {
    const value = uniqueName();
    const a = await sleeper({ KT_MARK: value });
    const b = await sleeper({ KT_MARK: `${value}x` }); // longer value: not a match
    const c = await sleeper({ KT_OTHER: value });
    const found = findProcessesByMarker(`KT_MARK=${value}`);
    expect(found).toEqual([a.pid]);
    expect(found).not.toContain(b.pid);
    expect(found).not.toContain(c.pid);
    expect(findProcessesByMarker(`KT_MARK=${value}x`)).toEqual([b.pid]);
  });

  test('concurrent scans share one pass', async () => {
    const value = uniqueName();
    const a = await sleeper({ KT_MARK: value });
    const [s1, s2] = await Promise.all([scanProcesses([`KT_MARK=${value}`]), scanProcesses([])]);
    expect(s1).toBe(s2);
    expect(s1.markers.get(`KT_MARK=${value}`)).toEqual([a.pid]);
  });

  test('rejects a marker that is not KEY=VALUE', () => {
    expect(() => findProcessesByMarker('nokey')).toThrow(/KEY=VALUE/);
  });
});

describe('watchForeignExit', () => {
  test('resolves with unknown code once the process is gone', async () => {
    const proc = await sleeper();
    const watch = watchForeignExit(proc.pid, proc.startTime, 20);
    let done = false;
    void watch.exited.then(() => {
      done = true;
    });
    await new Promise((r) => setTimeout(r, 60));
    expect(done).toBe(false);
    process.kill(proc.pid, 'SIGKILL');
    await expect(watch.exited).resolves.toEqual({ code: null, signal: null });
  });

  test('resolves at once when the start time does not match (pid reused)', async () => {
    const proc = await sleeper();
    const watch = watchForeignExit(proc.pid, 'not-the-start-time');
    await expect(watch.exited).resolves.toEqual({ code: null, signal: null });
  });

  test('processes watched together resolve one by one, each when it ends', async () => {
    const procs = await Promise.all([sleeper(), sleeper(), sleeper()]);
    const done = new Set<number>();
    const watches = procs.map((p) => {
      const w = watchForeignExit(p.pid, p.startTime, 10);
      void w.exited.then(() => done.add(p.pid));
      return w;
    });
    process.kill(procs[1]!.pid, 'SIGKILL');
    await watches[1]!.exited;
    await new Promise((r) => setTimeout(r, 50));
    expect([...done]).toEqual([procs[1]!.pid]);
    for (const p of [procs[0]!, procs[2]!]) process.kill(p.pid, 'SIGKILL');
    await Promise.all(watches.map((w) => w.exited));
  });

  test('cancel stops watching', async () => {
    const proc = await sleeper();
    const watch = watchForeignExit(proc.pid, proc.startTime, 10);
    watch.cancel();
    let done = false;
    void watch.exited.then(() => {
      done = true;
    });
    process.kill(proc.pid, 'SIGKILL');
    await proc.exited;
    await new Promise((r) => setTimeout(r, 50));
    expect(done).toBe(false);
  });
});
