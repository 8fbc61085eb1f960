/**
 * Resource limits through the real daemon: `limits.memory` (RLIMIT_AS, with the size grammar),
 * `limits.cpu_time` (RLIMIT_CPU) and `limits.max_fds` (RLIMIT_NOFILE) are visible in /proc/<pid>/limits
 * of the service and of its children, survive the switch to another user, and are enforced: a service
 * that allocates past its memory limit fails and its restart policy applies.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createUser, deleteUser, openUpDirs, PY, TestDaemon, uniqueName, waitFor } from '../testkit.js';

/** Generous: two cores shared with other suites. */
const T = 90_000;

const d = new TestDaemon('kepler-e2e-limits');
const user = uniqueName();
let uid: number;
let out: string;

beforeAll(async () => {
  uid = createUser(user).uid;
  openUpDirs(d);
  out = join(d.workDir, 'out');
  mkdirSync(out);
  chmodSync(out, 0o1777);
  await d.start();
}, T);

afterAll(async () => {
  await d.cleanup();
  deleteUser(user);
}, T);

/** `{soft, hard}` of one row of a /proc/<pid>/limits text. */
function limit(text: string, row: string): { soft: string; hard: string } {
  const line = text.split('\n').find((l) => l.startsWith(row));
  if (!line) throw new Error(`no "${row}" in:\n${text}`);
  const [soft = '', hard = ''] = line.slice(row.length).trim().split(/\s+/);
  return { soft, hard };
}

function expectLimits(text: string, memoryBytes: number, cpuSec: number, fds: number): void {
  expect(limit(text, 'Max address space')).toEqual({ soft: String(memoryBytes), hard: String(memoryBytes) });
  expect(limit(text, 'Max cpu time')).toEqual({ soft: String(cpuSec), hard: String(cpuSec) });
  expect(limit(text, 'Max open files')).toEqual({ soft: String(fds), hard: String(fds) });
}

test(
  'limits are set on the service and inherited by its children, also as another user',
  async () => {
    const childFile = (n: string) => join(out, `${n}.child-limits`);
    const config = d.writeConfig(
      `services:
  mib:
    command: ["sh", "-c", "cat /proc/self/limits > ${childFile('mib')}; exec sleep 600"]
    user: ${user}
    limits:
      memory: 256M
      cpu_time: 77
      max_fds: 123
  gib:
    command: ["sh", "-c", "sh -c 'cat /proc/self/limits' > ${childFile('gib')}; exec sleep 600"]
    limits:
      memory: "1G"
      cpu_time: 3600
      max_fds: 4096
`,
      'limits.kepler.yaml',
    );
    expect((await d.cli(['start', '-d', '--wait', '--timeout', '40s', '-f', config])).code).toBe(0);
    const mib = await d.service(config, 'mib');
    const gib = await d.service(config, 'gib');
    // The service process itself, read from outside.
    expectLimits(readFileSync(`/proc/${mib.pid}/limits`, 'utf8'), 256 * 1024 * 1024, 77, 123);
    expectLimits(readFileSync(`/proc/${gib.pid}/limits`, 'utf8'), 1024 * 1024 * 1024, 3600, 4096);
    expect(readFileSync(`/proc/${mib.pid}/status`, 'utf8')).toMatch(new RegExp(`^Uid:\\s+${uid}\\s`, 'm'));
    // A child (and a grandchild) of the service, from inside.
    for (const [name, mem, cpu, fds] of [
      ['mib', 256 * 1024 * 1024, 77, 123],
      ['gib', 1024 * 1024 * 1024, 3600, 4096],
    ] as const) {
      const text = await waitFor(
        () => (existsSync(childFile(name)) ? readFileSync(childFile(name), 'utf8') : null),
        `${name}'s child to dump its limits`,
      );
      expectLimits(text, mem, cpu, fds);
    }
    await d.cli(['stop', '-f', config]);
  },
  T,
);

test(
  'a service that allocates past limits.memory fails and its restart policy applies',
  async () => {
    // 200 MiB in one bytearray: fine without a limit (the control), a MemoryError under 100M.
    const alloc = JSON.stringify([
      PY,
      '-c',
      "b = bytearray(200 * 1024 * 1024); print('allocated', len(b), flush=True)",
    ]);
    const config = d.writeConfig(
      `services:
  hog:
    command: ${alloc}
    limits:
      memory: 100M
    restart: on-failure
  control:
    command: ${alloc}
`,
      'oom.kepler.yaml',
    );
    expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
    const control = await waitFor(async () => {
      const s = await d.service(config, 'control');
      return s.status === 'exited' ? s : null;
    }, 'the unlimited control to allocate and exit 0');
    expect(control.exit_code).toBe(0);
    expect(d.readLogFile(config, 'control.stdout.log')).toContain(`allocated ${200 * 1024 * 1024}`);

    // The restart count keeps growing: each run fails on the limit and is restarted.
    const hog = await waitFor(
      async () => {
        const s = await d.service(config, 'hog');
        return (s.restarts as number) >= 2 ? s : null;
      },
      'the memory hog to be restarted twice',
      { timeoutMs: 60_000 },
    );
    expect(['restarting', 'starting', 'running', 'failed']).toContain(hog.status);
    expect(d.readLogFile(config, 'hog.stderr.log')).toContain('MemoryError');
    expect(d.readLogFile(config, 'hog.stdout.log')).not.toContain('allocated');
    await d.cli(['stop', '-f', config]);
  },
  T,
);
