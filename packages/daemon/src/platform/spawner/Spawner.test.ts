import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTmpDir, Reaper, waitFor } from '../__tests__/helpers.js';
import { isSameProcess, readStartTime, readStat } from '../procfs.js';
import { SPAWNER_PATH, Spawner, type SpawnerRequest, SpawnerStepError } from './Spawner.js';

const reaper = new Reaper();
afterEach(() => reaper.killAll());

const DEV_NULL = { path: '/dev/null', flags: 1 };

const fileLines = (path: string): string[] => readFileSync(path, 'utf8').split('\n').filter(Boolean);

function request(argv: string[], extra: Partial<SpawnerRequest> = {}): SpawnerRequest {
  return {
    exe: argv[0] ?? '',
    argv,
    env: ['PATH=/usr/bin:/bin'],
    cwd: '/',
    cgroupProcs: null,
    stdout: DEV_NULL,
    stderr: DEV_NULL,
    limits: { memoryBytes: null, cpuTimeSec: null, maxFds: null },
    credentials: null,
    ...extra,
  };
}

/** The wire format of kepler-spawner.c, for talking to the binary directly. */
function frame(fields: string[]): Buffer {
  const body = Buffer.from(`${fields.join('\0')}\0`);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(body.length);
  return Buffer.concat([len, body]);
}

describe('kepler-spawner', () => {
  test('is built (pnpm run build compiles it)', () => {
    expect(existsSync(SPAWNER_PATH)).toBe(true);
  });

  test('reports the exit of what it started', async () => {
    const spawner = new Spawner();
    const proc = await spawner.spawn(request(['/bin/sh', '-c', 'exit 4']));
    expect(proc.startTime).toMatch(/^\d+$/);
    expect(await proc.exited).toEqual({ code: 4, signal: null });
    const killed = await spawner.spawn(request(['/bin/sleep', '30']));
    reaper.add(killed.pid);
    process.kill(killed.pid, 'SIGTERM');
    expect(await killed.exited).toEqual({ code: null, signal: 'SIGTERM' });
  });

  test('a step that fails in the child is named, and nothing runs', async () => {
    const spawner = new Spawner();
    const err = await spawner.spawn(request(['/bin/true'], { cwd: '/kt-gone' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpawnerStepError);
    expect(err).toMatchObject({ step: 'chdir', errno: 'ENOENT' });
    const missing = await spawner.spawn(request(['/kt/no/such/binary'])).catch((e: unknown) => e);
    expect(missing).toMatchObject({ step: 'exec', errno: 'ENOENT' });
  });

  test('when it dies, its processes live on and their ends are still seen; the next spawn starts a new one', async () => {
    const spawner = new Spawner();
    const proc = await spawner.spawn(request(['/bin/sleep', '30']));
    reaper.add(proc.pid);
    const first = spawner.pid;
    if (first === null) throw new Error('no spawner');
    process.kill(first, 'SIGKILL');
    await waitFor(() => spawner.pid === null, 'the spawner to be gone');
    expect(isSameProcess(proc.pid, proc.startTime)).toBe(true);
    expect(readStat(first)).toBeNull(); // reaped by us, not a zombie
    process.kill(proc.pid, 'SIGKILL');
    expect(await proc.exited).toEqual({ code: null, signal: null }); // a foreign exit: code unknowable
    const next = await spawner.spawn(request(['/bin/true']));
    expect(spawner.pid).not.toBe(first);
    expect(await next.exited).toEqual({ code: 0, signal: null });
  });

  test('is the subreaper of what it starts: an orphaned grandchild is re-parented to it and its exit reported', async () => {
    const spawner = new Spawner();
    const out = join(makeTmpDir(), 'pids');
    writeFileSync(out, '');
    // Two background subshells outlive the start command; the first exits 7 while watched, the
    // second exits 5 before anyone watches it (its status is kept for a late watcher).
    const launcher = await spawner.spawn(
      request(['/bin/sh', '-c', '(sleep 0.5; exit 7) & echo $!; (sleep 0.3; exit 5) & echo $!; exit 0'], {
        stdout: { path: out, flags: 1 },
      }),
    );
    expect(await launcher.exited).toEqual({ code: 0, signal: null });
    await waitFor(() => fileLines(out).length === 2, 'the pids');
    const [watched, late] = fileLines(out).map(Number);
    const watchedStart = readStartTime(watched!) ?? '';
    const lateStart = readStartTime(late!) ?? '';
    reaper.add(watched!);
    reaper.add(late!);
    await waitFor(() => readStat(watched!)?.ppid === spawner.pid, 'the re-parenting to the fork server');
    const watch = spawner.watchDescendant(watched!, watchedStart);
    expect(watch).not.toBeNull();
    await waitFor(() => readStat(late!) === null, 'the second to be reaped');
    expect(await spawner.watchDescendant(late!, lateStart)?.exited).toEqual({ code: 5, signal: null });
    expect(await watch?.exited).toEqual({ code: 7, signal: null });
  });

  test('exits on EOF (the daemon is gone) and leaves what it started running', async () => {
    const server = spawn(SPAWNER_PATH, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    const replies: string[] = [];
    server.stdout.setEncoding('latin1').on('data', (s: string) => replies.push(s));
    const fixed = [
      'spawn',
      '1',
      '/bin/sleep',
      '/',
      '',
      '/dev/null',
      '1',
      '/dev/null',
      '1',
      '',
      '',
      '',
      '',
      '',
      '',
    ];
    server.stdin.write(frame([...fixed, '2', '/bin/sleep', '30', '0']));
    const started = await waitFor(() => /^S 1 (\d+) \d+\n/.exec(replies.join('')), 'the S reply');
    const pid = Number(started[1]);
    reaper.add(pid);
    const startTime = readStartTime(pid);
    const code = new Promise((resolve) => server.on('exit', resolve));
    server.stdin.end();
    expect(await code).toBe(0);
    expect(startTime).not.toBeNull();
    expect(isSameProcess(pid, startTime ?? '')).toBe(true);
  });
});
