import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { isRoot, Reaper, spec, TEST_PATH, uniqueName } from './__tests__/helpers.js';
import { cgroupPathForMarker, cgroupPids, cgroupsAvailable, setCgroupsEnabled } from './cgroups.js';
import { spawnService } from './spawn.js';
import { stopProcessTree } from './stop.js';

const reaper = new Reaper();
afterEach(() => {
  reaper.killAll();
  setCgroupsEnabled(true);
});

function cgroup2Writable(): boolean {
  // The same fact checked independently: a cgroup2 mount exists and we are root.
  return isRoot && readFileSync('/proc/self/mountinfo', 'utf8').includes(' - cgroup2 ');
}

describe('cgroups', () => {
  test('detection matches the host, and can be switched off', () => {
    const available = cgroupsAvailable();
    if (!cgroup2Writable()) expect(available).toBe(false);
    setCgroupsEnabled(false);
    expect(cgroupsAvailable()).toBe(false);
    expect(cgroupPathForMarker('K=v')).toBeNull();
  });

  test('a service started with a marker runs in its own cgroup, which stop removes', async () => {
    if (!cgroupsAvailable()) {
      console.warn(
        'cgroup v2 is not usable here: placement test skipped (fallback is tested in stop.test.ts)',
      );
      return;
    }
    const marker = reaper.addMarker(`KT_SERVICE=${uniqueName()}`);
    const [key, value] = marker.split('=') as [string, string];
    const proc = await spawnService(
      spec({
        command: ['sleep', '300'],
        env: { PATH: TEST_PATH },
        stdout: 'ignore',
        stderr: 'ignore',
        marker,
      }),
    );
    reaper.add(proc.pid);
    expect(proc.cgroup).toBe(cgroupPathForMarker(marker));
    const dir = proc.cgroup ?? '';
    // The child places itself (a shell step before exec): poll, it is asynchronous to spawnService.
    const deadline = Date.now() + 5000;
    while (cgroupPids(dir).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(cgroupPids(dir)).toEqual([proc.pid]);
    expect(readFileSync(`/proc/${proc.pid}/cgroup`, 'utf8')).toContain(`/kepler/${basename(dir)}\n`);
    // The marker went into the environment too.
    expect(readFileSync(`/proc/${proc.pid}/environ`, 'latin1').split('\0')).toContain(`${key}=${value}`);
    await stopProcessTree({ pid: proc.pid, pgid: proc.pid, marker, signal: 'SIGTERM', graceMs: 2000 });
    expect(existsSync(dir)).toBe(false);
  });

  test('without a marker no cgroup is used', async () => {
    const proc = await spawnService(spec({ command: ['true'], stdout: 'ignore', stderr: 'ignore' }));
    expect(proc.cgroup).toBeNull();
    await proc.exited;
  });
});
