import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  firstLine,
  makeTmpDir,
  PY,
  Reaper,
  spec,
  TEST_PATH,
  uniqueName,
  waitFor,
} from './__tests__/helpers.js';
import { cgroupPathForMarker, cgroupsAvailable, setCgroupsEnabled } from './cgroups.js';
import { findProcessesByMarker, readStartTime, readStat } from './procfs.js';
import { type SpawnedProcess, spawnService } from './spawn.js';
import { signalGroup, stopProcessTree, sweepMarker } from './stop.js';

const reaper = new Reaper();
afterEach(() => {
  reaper.killAll();
  setCgroupsEnabled(true);
});

/**
 * A service whose child forks grandchildren, one of which calls setsid and double-forks
 * (`setsid -f sh -c 'sleep & exit'` leaves a sleep in its own session, reparented to init).
 */
function treeScript(opts: { ignoreTerm: 'none' | 'all' | 'escapee'; scrubbedEscapee?: string }): string {
  const trapAll = opts.ignoreTerm === 'all' ? "trap '' TERM\n" : '';
  const trapEscapee = opts.ignoreTerm === 'escapee' ? 'trap "" TERM; ' : '';
  const scrubbed = opts.scrubbedEscapee
    ? `setsid -f env -i sh -c 'sleep 300 & echo $! > ${opts.scrubbedEscapee}; exit 0'\n`
    : '';
  return `${trapAll}sleep 300 &
sh -c 'sleep 300 & sleep 300' &
setsid -f sh -c '${trapEscapee}sleep 300 & exit 0'
${scrubbed}echo ready
wait
`;
}

interface Tree {
  proc: SpawnedProcess;
  marker: string;
  pids: number[];
  escapees: number[];
}

async function startTree(script: string, useCgroup: boolean): Promise<Tree> {
  const marker = reaper.addMarker(`KT_SERVICE=${uniqueName()}`);
  const [key, value] = marker.split('=') as [string, string];
  const proc = await spawnService(
    spec({
      command: ['sh', '-c', script],
      env: { PATH: TEST_PATH, [key]: value },
      stderr: 'ignore',
      ...(useCgroup ? { marker } : {}),
    }),
  );
  reaper.add(proc.pid);
  expect(await firstLine(proc.stdout)).toBe('ready');
  // The escapee is in a session of its own; wait until it and the rest of the tree are visible.
  const pids = await waitFor(() => {
    const found = findProcessesByMarker(marker);
    const outside = found.filter((p) => readStat(p)?.pgid !== proc.pid);
    return found.length >= 5 && outside.length >= 1 ? found : null;
  }, 'the whole process tree');
  const escapees = pids.filter((p) => readStat(p)?.pgid !== proc.pid);
  for (const p of escapees) expect(readStat(p)?.ppid).not.toBe(proc.pid);
  return { proc, marker, pids, escapees };
}

function survivors(tree: Tree, starts: Map<number, string | null>): number[] {
  return tree.pids.filter((p) => {
    const t = readStartTime(p);
    return t !== null && t === starts.get(p);
  });
}

const modes = [
  { name: 'process group + /proc marker sweep', cgroup: false },
  { name: 'cgroup', cgroup: true },
] as const;

describe.each(modes)('stopProcessTree ($name)', ({ cgroup }) => {
  const skip = cgroup && !cgroupsAvailable();
  const t = skip ? test.skip : test;
  if (skip) console.warn('cgroup v2 is not usable here: cgroup stop tests skipped');

  beforeEach(() => setCgroupsEnabled(cgroup));

  t(
    'a tree with grandchildren and a setsid double-fork escapee: nothing carrying the marker survives',
    async () => {
      const tree = await startTree(treeScript({ ignoreTerm: 'none' }), cgroup);
      if (cgroup) expect(tree.proc.cgroup).not.toBeNull();
      const starts = new Map(tree.pids.map((p) => [p, readStartTime(p)]));
      const t0 = Date.now();
      const result = await stopProcessTree({
        pid: tree.proc.pid,
        pgid: tree.proc.pid,
        marker: tree.marker,
        signal: 'SIGTERM',
        graceMs: 5000,
      });
      expect(result).toEqual({ killed: false });
      expect(Date.now() - t0).toBeLessThan(4000);
      expect(findProcessesByMarker(tree.marker)).toEqual([]);
      expect(survivors(tree, starts)).toEqual([]);
      expect(await tree.proc.exited).toEqual({ code: null, signal: 'SIGTERM' });
      if (tree.proc.cgroup !== null) expect(existsSync(tree.proc.cgroup)).toBe(false);
    },
    20_000,
  );

  t(
    'an escapee ignoring SIGTERM is SIGKILLed after the grace period',
    async () => {
      const tree = await startTree(treeScript({ ignoreTerm: 'escapee' }), cgroup);
      const starts = new Map(tree.pids.map((p) => [p, readStartTime(p)]));
      const graceMs = 400;
      const t0 = Date.now();
      const result = await stopProcessTree({
        pid: tree.proc.pid,
        pgid: tree.proc.pid,
        marker: tree.marker,
        signal: 'SIGTERM',
        graceMs,
      });
      expect(result).toEqual({ killed: true });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(graceMs);
      expect(findProcessesByMarker(tree.marker)).toEqual([]);
      expect(survivors(tree, starts)).toEqual([]);
    },
    20_000,
  );

  t(
    'a whole tree ignoring SIGTERM is SIGKILLed',
    async () => {
      const tree = await startTree(treeScript({ ignoreTerm: 'all' }), cgroup);
      const starts = new Map(tree.pids.map((p) => [p, readStartTime(p)]));
      const result = await stopProcessTree({
        pid: tree.proc.pid,
        pgid: tree.proc.pid,
        marker: tree.marker,
        signal: 'SIGTERM',
        graceMs: 200,
      });
      expect(result).toEqual({ killed: true });
      expect(survivors(tree, starts)).toEqual([]);
      expect(await tree.proc.exited).toEqual({ code: null, signal: 'SIGKILL' });
    },
    20_000,
  );

  t(
    'sweepMarker: what a process left after it exited (its group, a setsid escapee) ends, by the marker alone',
    async () => {
      const tree = await startTree(treeScript({ ignoreTerm: 'none' }), cgroup);
      const starts = new Map(tree.pids.map((p) => [p, readStartTime(p)]));
      // Its leader gone, as a hook that backgrounded `sleep &` and exited: no main process to stop from.
      process.kill(tree.proc.pid, 'SIGKILL');
      await tree.proc.exited;
      const found = await sweepMarker({ marker: tree.marker, signal: 'SIGTERM', graceMs: 5000 });
      expect(found).toBeGreaterThanOrEqual(4);
      expect(findProcessesByMarker(tree.marker)).toEqual([]);
      expect(survivors(tree, starts)).toEqual([]);
      if (tree.proc.cgroup !== null) expect(existsSync(tree.proc.cgroup)).toBe(false);
      expect(await sweepMarker({ marker: tree.marker, signal: 'SIGTERM', graceMs: 5000 })).toBe(0);
    },
    20_000,
  );
});

describe('stopProcessTree', () => {
  test('honours the grace period, then SIGKILLs a process that ignores SIGTERM', async () => {
    const marker = reaper.addMarker(`KT_SERVICE=${uniqueName()}`);
    const [key, value] = marker.split('=') as [string, string];
    const script =
      'import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print("ready", flush=True); time.sleep(300)';
    const proc = await spawnService(
      spec({ command: [PY, '-c', script], env: { PATH: TEST_PATH, [key]: value } }),
    );
    reaper.add(proc.pid);
    expect(await firstLine(proc.stdout)).toBe('ready');
    const graceMs = 700;
    const t0 = Date.now();
    const result = await stopProcessTree({
      pid: proc.pid,
      pgid: proc.pid,
      marker,
      signal: 'SIGTERM',
      graceMs,
    });
    const elapsed = Date.now() - t0;
    expect(result).toEqual({ killed: true });
    expect(elapsed).toBeGreaterThanOrEqual(graceMs);
    expect(elapsed).toBeLessThan(graceMs + 3000);
    expect(await proc.exited).toEqual({ code: null, signal: 'SIGKILL' });
  }, 20_000);

  test('uses the given signal', async () => {
    const marker = reaper.addMarker(`KT_SERVICE=${uniqueName()}`);
    const [key, value] = marker.split('=') as [string, string];
    const script =
      'import signal, sys, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint("ready", flush=True)\ntime.sleep(300)';
    const proc = await spawnService(
      spec({ command: [PY, '-c', script], env: { PATH: TEST_PATH, [key]: value } }),
    );
    reaper.add(proc.pid);
    expect(await firstLine(proc.stdout)).toBe('ready');
    const result = await stopProcessTree({
      pid: proc.pid,
      pgid: proc.pid,
      marker,
      signal: 'SIGINT',
      graceMs: 5000,
    });
    expect(result).toEqual({ killed: false });
    // Python re-raises an unhandled KeyboardInterrupt as death by SIGINT.
    expect(await proc.exited).toEqual({ code: null, signal: 'SIGINT' });
  }, 20_000);

  test('a service that is already gone resolves at once', async () => {
    const marker = `KT_SERVICE=${uniqueName()}`;
    const proc = await spawnService(spec({ command: ['true'], stdout: 'ignore', stderr: 'ignore' }));
    await proc.exited;
    const result = await stopProcessTree({
      pid: proc.pid,
      pgid: proc.pid,
      marker,
      signal: 'SIGTERM',
      graceMs: 5000,
    });
    expect(result).toEqual({ killed: false });
  });

  test('a cgroup catches an escapee that scrubbed its environment', async () => {
    if (!cgroupsAvailable()) {
      console.warn('cgroup v2 is not usable here: scrubbed-escapee test skipped');
      return;
    }
    const pidFile = join(makeTmpDir(), 'scrubbed.pid');
    const tree = await startTree(treeScript({ ignoreTerm: 'none', scrubbedEscapee: pidFile }), true);
    const scrubbed = await waitFor(
      () => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0),
      'pid file',
    );
    const start = readStartTime(scrubbed);
    expect(start).not.toBeNull();
    expect(findProcessesByMarker(tree.marker)).not.toContain(scrubbed);
    await stopProcessTree({
      pid: tree.proc.pid,
      pgid: tree.proc.pid,
      marker: tree.marker,
      signal: 'SIGTERM',
      graceMs: 2000,
    });
    expect(readStartTime(scrubbed)).not.toBe(start);
    expect(cgroupPathForMarker(tree.marker)).toBe(tree.proc.cgroup);
  }, 20_000);

  test('stops many services at once, quickly', async () => {
    const procs = await Promise.all(
      Array.from({ length: 30 }, async () => {
        const marker = reaper.addMarker(`KT_SERVICE=${uniqueName()}`);
        const [key, value] = marker.split('=') as [string, string];
        const proc = await spawnService(
          spec({
            command: ['sleep', '300'],
            env: { PATH: TEST_PATH, [key]: value },
            stdout: 'ignore',
            stderr: 'ignore',
            marker,
          }),
        );
        reaper.add(proc.pid);
        return { proc, marker };
      }),
    );
    const t0 = Date.now();
    const results = await Promise.all(
      procs.map(({ proc, marker }) =>
        stopProcessTree({ pid: proc.pid, pgid: proc.pid, marker, signal: 'SIGTERM', graceMs: 5000 }),
      ),
    );
    expect(results.every((r) => !r.killed)).toBe(true);
    expect(Date.now() - t0).toBeLessThan(2000);
    for (const { marker } of procs) expect(findProcessesByMarker(marker)).toEqual([]);
  }, 20_000);

  test('rejects a marker that is not KEY=VALUE', async () => {
    await expect(
      stopProcessTree({ pid: 12345, pgid: 12345, marker: 'oops', signal: 'SIGTERM', graceMs: 0 }),
    ).rejects.toThrow(/KEY=VALUE/);
  });
});

describe('signalGroup', () => {
  test('signals a live group and reports a missing one', async () => {
    const proc = await spawnService(spec({ command: ['sleep', '300'], stdout: 'ignore', stderr: 'ignore' }));
    reaper.add(proc.pid);
    expect(signalGroup(proc.pid, 0)).toBe(true);
    expect(signalGroup(proc.pid, 'SIGKILL')).toBe(true);
    await proc.exited;
    expect(signalGroup(proc.pid, 'SIGTERM')).toBe(false);
  });

  test('refuses targets that would hit everything or the daemon', () => {
    for (const bad of [0, 1, -1, -5, 1.5, process.pid]) {
      expect(() => signalGroup(bad, 0)).toThrow(expect.objectContaining({ code: 'INVALID_TARGET' }));
    }
  });
});
