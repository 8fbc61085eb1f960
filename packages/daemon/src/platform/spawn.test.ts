import { chmodSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  firstLine,
  makeTmpDir,
  PY,
  Reaper,
  readAll,
  SPAWN_PATHS,
  type SpawnPath,
  spawnWith,
  spec,
  TEST_PATH,
  uniqueName,
  waitFor,
} from './__tests__/helpers.js';
import { PlatformError } from './errors.js';
import { readStartTime, readStat } from './procfs.js';
import { DEFAULT_PATH } from './spawn.js';

const reaper = new Reaper();
let current: SpawnPath = 'exec chain';
afterEach(() => reaper.killAll());

async function run(command: string[], extra: Partial<Parameters<typeof spec>[0]> = {}) {
  const proc = await spawnWith(current, spec({ command, ...extra }));
  reaper.add(proc.pid);
  const [stdout, stderr, exit] = await Promise.all([readAll(proc.stdout), readAll(proc.stderr), proc.exited]);
  return { stdout: stdout.toString(), stderr: stderr.toString(), exit, pid: proc.pid };
}

async function spawnError(p: Promise<unknown>): Promise<PlatformError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof PlatformError) return err;
    throw err;
  }
  throw new Error('expected a PlatformError');
}

describe.each(SPAWN_PATHS)('spawnService through the %s', (path) => {
  beforeAll(() => {
    current = path;
  });

  test('reports the exit code', async () => {
    const { exit } = await run(['sh', '-c', 'exit 3']);
    expect(exit).toEqual({ code: 3, signal: null });
  });

  test('reports the signal that killed the process', async () => {
    const { exit } = await run(['sh', '-c', 'kill -TERM $$']);
    expect(exit).toEqual({ code: null, signal: 'SIGTERM' });
  });

  test('passes argv verbatim, without a shell', async () => {
    const { stdout } = await run(['printf', '%s|', 'a b', '$HOME', '*']);
    expect(stdout).toBe('a b|$HOME|*|');
  });

  test('a missing binary is SPAWN_FAILED before anything runs', async () => {
    const err = await spawnError(spawnWith(current, spec({ command: ['kt-no-such-binary'] })));
    expect(err.code).toBe('SPAWN_FAILED');
    expect(err.message).toBe('command not found: kt-no-such-binary');
  });

  test('a missing relative or absolute path is SPAWN_FAILED', async () => {
    const err = await spawnError(spawnWith(current, spec({ command: ['./nope.sh'], cwd: makeTmpDir() })));
    expect(err.message).toBe('command not found: ./nope.sh');
  });

  test('a bad working_dir is SPAWN_FAILED', async () => {
    const missing = await spawnError(
      spawnWith(current, spec({ command: ['true'], cwd: '/kt-does-not-exist' })),
    );
    expect(missing.code).toBe('SPAWN_FAILED');
    expect(missing.message).toBe('working_dir does not exist: /kt-does-not-exist');
    const file = join(makeTmpDir(), 'f');
    writeFileSync(file, '');
    const notDir = await spawnError(spawnWith(current, spec({ command: ['true'], cwd: file })));
    expect(notDir.message).toBe(`working_dir is not a directory: ${file}`);
  });

  test('a non-executable file is SPAWN_FAILED', async () => {
    const dir = makeTmpDir();
    writeFileSync(join(dir, 'script.sh'), '#!/bin/sh\necho hi\n');
    chmodSync(join(dir, 'script.sh'), 0o644);
    const err = await spawnError(spawnWith(current, spec({ command: ['./script.sh'], cwd: dir })));
    expect(err.code).toBe('SPAWN_FAILED');
    expect(err.message).toMatch(/^permission denied: .*script\.sh is not executable by /);
  });

  test('an exec failure after validation (missing interpreter) rejects with SPAWN_FAILED', async () => {
    const dir = makeTmpDir();
    writeFileSync(join(dir, 'script.sh'), '#!/kt/no/such/interpreter\n');
    chmodSync(join(dir, 'script.sh'), 0o755);
    const err = await spawnError(spawnWith(current, spec({ command: ['./script.sh'], cwd: dir })));
    expect(err.code).toBe('SPAWN_FAILED');
    expect(err.message).toMatch(
      /^cannot start .*script\.sh: its interpreter \(#!\) or loader was not found$/,
    );
  });

  test('runs in the working directory, resolving relative commands there', async () => {
    const dir = realpathSync(makeTmpDir());
    writeFileSync(join(dir, 'here.sh'), '#!/bin/sh\npwd\n');
    chmodSync(join(dir, 'here.sh'), 0o755);
    const { stdout } = await run(['./here.sh'], { cwd: dir });
    expect(stdout.trim()).toBe(dir);
  });

  test('leads its own session and process group', async () => {
    const proc = await spawnWith(
      current,
      spec({ command: ['sleep', '30'], stdout: 'ignore', stderr: 'ignore' }),
    );
    reaper.add(proc.pid);
    const stat = readStat(proc.pid);
    expect(stat?.pgid).toBe(proc.pid);
    const fields = readFileSync(`/proc/${proc.pid}/stat`, 'latin1').split(') ')[1]?.split(' ') ?? [];
    expect(Number(fields[3])).toBe(proc.pid); // field 6: session id
    expect(proc.startTime).toBe(readStartTime(proc.pid));
    process.kill(-proc.pid, 'SIGKILL');
    expect(await proc.exited).toEqual({ code: null, signal: 'SIGKILL' });
  });

  test('stdin is /dev/null', async () => {
    const { stdout } = await run(['sh', '-c', 'readlink /proc/self/fd/0; cat; echo end']);
    expect(stdout).toBe('/dev/null\nend\n');
  });

  test('gets exactly the given environment plus the user fields', async () => {
    const secret = uniqueName('KT_SECRET');
    process.env[secret] = 'leak';
    try {
      const { stdout } = await run(['env'], { env: { PATH: TEST_PATH, FOO: 'bar baz' } });
      const env = new Map(
        stdout
          .trim()
          .split('\n')
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      expect(env.get('FOO')).toBe('bar baz');
      expect(env.has(secret)).toBe(false);
      expect([...env.keys()].sort()).toEqual(['FOO', 'HOME', 'LOGNAME', 'PATH', 'SHELL', 'USER']);
    } finally {
      delete process.env[secret];
    }
  });

  test('gets the default PATH when the environment sets none, and keeps one it sets', async () => {
    const printPath = ['sh', '-c', 'printenv PATH'];
    expect((await run(printPath, { env: {} })).stdout).toBe(`${DEFAULT_PATH}\n`);
    expect((await run(printPath, { env: { PATH: '/opt/x/bin:/usr/bin:/bin' } })).stdout).toBe(
      '/opt/x/bin:/usr/bin:/bin\n',
    );
  });

  test('keeps HOME, USER, LOGNAME and SHELL when the environment sets them', async () => {
    const env = { PATH: TEST_PATH, HOME: '/h', USER: 'u', LOGNAME: 'l', SHELL: '/s' };
    const { stdout } = await run(['sh', '-c', 'echo "$HOME $USER $LOGNAME $SHELL"'], { env });
    expect(stdout).toBe('/h u l /s\n');
  });

  test('looks the command up in env.PATH', async () => {
    const dir = makeTmpDir();
    writeFileSync(join(dir, 'kt-tool'), '#!/bin/sh\necho from-tool\n');
    chmodSync(join(dir, 'kt-tool'), 0o755);
    const { stdout } = await run(['kt-tool'], { env: { PATH: `${dir}:${TEST_PATH}` } });
    expect(stdout).toBe('from-tool\n');
  });

  test('hands an fd to the child as stdout', async () => {
    const file = join(makeTmpDir(), 'out');
    const { openSync, closeSync } = await import('node:fs');
    const fd = openSync(file, 'w');
    try {
      const proc = await spawnWith(
        current,
        spec({ command: ['echo', 'to-fd'], stdout: fd, stderr: 'ignore' }),
      );
      reaper.add(proc.pid);
      expect(proc.stdout).toBeNull();
      await proc.exited;
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(file, 'utf8')).toBe('to-fd\n');
  });

  test('limits are visible in /proc/<pid>/limits of the service and its children', async () => {
    const limits = { memoryBytes: 512 * 1024 * 1024, cpuTimeSec: 7, maxFds: 123 };
    const { stdout, exit } = await run(
      ['sh', '-c', 'cat /proc/self/limits; echo ---; sh -c "cat /proc/self/limits"'],
      {
        limits,
      },
    );
    expect(exit.code).toBe(0);
    const [own, child] = stdout.split('---\n');
    for (const text of [own ?? '', child ?? '']) {
      expect(text).toMatch(/Max cpu time\s+7\s+7\s+seconds/);
      expect(text).toMatch(/Max open files\s+123\s+123\s+files/);
      expect(text).toMatch(/Max address space\s+536870912\s+536870912\s+bytes/);
    }
  });

  test('the memory limit is enforced', async () => {
    const limits = { memoryBytes: 256 * 1024 * 1024, cpuTimeSec: null, maxFds: null };
    const alloc = 'b = bytearray(512 * 1024 * 1024); print("allocated")';
    const limited = await run([PY, '-c', alloc], { limits });
    expect(limited.exit.code).not.toBe(0);
    expect(limited.stderr).toContain('MemoryError');
    const free = await run([PY, '-c', alloc]);
    expect(free.stdout).toBe('allocated\n');
  });

  test('the pid stays the service pid through the exec chain', async () => {
    const limits = { memoryBytes: null, cpuTimeSec: null, maxFds: 64 };
    const proc = await spawnWith(
      current,
      spec({ command: [PY, '-c', 'import os; print(os.getpid(), flush=True)'], limits }),
    );
    reaper.add(proc.pid);
    expect(Number((await firstLine(proc.stdout)).trim())).toBe(proc.pid);
    await proc.exited;
  });

  test('rejects invalid limits', async () => {
    const err = await spawnError(
      spawnWith(
        current,
        spec({ command: ['true'], limits: { memoryBytes: -1, cpuTimeSec: null, maxFds: null } }),
      ),
    );
    expect(err.code).toBe('SPAWN_FAILED');
    expect(err.message).toContain('invalid limits.memory: -1');
  });

  test('start time is readable even for a process that exits at once', async () => {
    const proc = await spawnWith(current, spec({ command: ['true'], stdout: 'ignore', stderr: 'ignore' }));
    expect(proc.startTime).toMatch(/^\d+$/);
    await proc.exited;
    await waitFor(() => readStartTime(proc.pid) === null, 'reaped');
  });
});
