import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  parseCpuStat,
  parseStatUsage,
  parseVmRss,
  readCgroupUsage,
  readProcTable,
  readUsage,
  treeUsage,
  type UsageRoots,
} from './usage.js';

/** A fake /proc and cgroup tree (see the files): service 100 has children, a zombie and an escapee. */
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '__tests__', 'fixtures', 'usage');
const PROC = join(FIXTURES, 'proc');
const CGROUPS = join(FIXTURES, 'cgroup');

describe('parsers', () => {
  test('stat: ticks are utime + stime + cutime + cstime; a comm with spaces and ) is skipped', () => {
    const text = readFileSync(join(PROC, '101', 'stat'), 'latin1');
    expect(parseStatUsage(101, text)).toEqual({ pid: 101, ppid: 100, pgid: 100, state: 'R', ticks: 300 });
    expect(parseStatUsage(1, 'garbage')).toBeNull();
  });

  test("this process's own stat parses", () => {
    const own = parseStatUsage(process.pid, readFileSync('/proc/self/stat', 'latin1'));
    expect(own?.ppid).toBe(process.ppid);
    expect(own?.ticks).toBeGreaterThanOrEqual(0);
  });

  test('cpu.stat usage_usec in seconds; VmRSS in bytes', () => {
    expect(parseCpuStat('usage_usec 1500000\nuser_usec 1\n')).toBe(1.5);
    expect(parseCpuStat('user_usec 1\n')).toBeNull();
    expect(parseVmRss('Name:\tx\nVmRSS:\t  12 kB\n')).toBe(12 * 1024);
    expect(parseVmRss('Name:\tkthread\n')).toBe(0);
  });
});

describe('the /proc tree of a service', () => {
  test('its descendants and its process group count, zombies for CPU only, others not at all', () => {
    const usage = treeUsage(100, readProcTable(PROC), PROC);
    // 100 (215) + 101 (300) + 102, a grandchild in its own group (50) + 103, an escapee of the group (40)
    // + 104, a zombie (10): 615 ticks. RSS of the four live ones: 1000 + 2000 + 500 + 250 kB.
    expect(usage).toEqual({ cpuSeconds: 6.15, memoryBytes: 3750 * 1024, source: 'proc', processes: 4 });
  });

  test('a main process that is gone reads as nothing', () => {
    expect(treeUsage(999, readProcTable(PROC), PROC)).toBeNull();
  });
});

describe('a cgroup', () => {
  test('cpu.stat for CPU; without memory.current, the RSS of cgroup.procs', () => {
    expect(readCgroupUsage(join(CGROUPS, 'plain'), PROC)).toEqual({
      cpuSeconds: 2.5,
      memoryBytes: (4096 + 1000) * 1024,
      source: 'cgroup',
      processes: 2,
    });
  });

  test('memory.current where the memory controller is on', () => {
    expect(readCgroupUsage(join(CGROUPS, 'withmemory'), PROC)).toEqual({
      cpuSeconds: 0.001,
      memoryBytes: 7_340_032,
      source: 'cgroup',
      processes: 1,
    });
  });

  test('a cgroup that does not exist reads as nothing', () => {
    expect(readCgroupUsage(join(CGROUPS, 'missing'), PROC)).toBeNull();
  });
});

test('readUsage: the cgroup when there is one, else the tree, else nothing', () => {
  const roots: UsageRoots = {
    proc: PROC,
    cgroupOf: (marker) =>
      marker.endsWith('.a') ? join(CGROUPS, 'plain') : marker.endsWith('.b') ? join(CGROUPS, 'gone') : null,
  };
  const found = readUsage(
    [
      { marker: 'K=x.a', pid: 300 },
      { marker: 'K=x.b', pid: 100 },
      { marker: 'K=x.c', pid: 100 },
      { marker: 'K=x.d', pid: null },
    ],
    roots,
  );
  expect(found.get('K=x.a')?.source).toBe('cgroup');
  // Its cgroup was removed (or never made): the tree is read instead.
  expect(found.get('K=x.b')).toMatchObject({ source: 'proc', cpuSeconds: 6.15 });
  expect(found.get('K=x.c')).toMatchObject({ source: 'proc', processes: 4 });
  expect(found.get('K=x.d')).toBeNull();
});
