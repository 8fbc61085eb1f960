import { Reaper, spec, uniqueName, waitFor } from './__tests__/helpers.js';
import { cgroupsAvailable, setCgroupsEnabled } from './cgroups.js';
import { findProcessesByMarkers } from './procfs.js';
import { findServiceProcesses } from './serviceProcesses.js';
import { spawnService } from './spawn.js';

const reaper = new Reaper();
afterEach(() => {
  reaper.killAll();
  setCgroupsEnabled(true);
});

/** A service-like tree: sh with a child that left for its own session (as a daemonising child does). */
async function serviceTree(marker: string) {
  reaper.addMarker(marker);
  const proc = await spawnService(
    spec({
      command: ['sh', '-c', 'setsid sleep 60 & exec sleep 61'],
      marker,
      stdout: 'ignore',
      stderr: 'ignore',
    }),
  );
  reaper.add(proc.pid);
  return proc;
}

describe.each([
  ['with cgroups when available', true],
  ['without cgroups (marker sweep)', false],
])('findServiceProcesses %s', (_label, cgroups) => {
  test('finds every live process of each service, with start time and group, and none of others', async () => {
    setCgroupsEnabled(cgroups);
    if (cgroups && !cgroupsAvailable()) return; // the sweep case below still runs
    const a = `KEPLER_SERVICE_ID=${uniqueName()}.a`;
    const b = `KEPLER_SERVICE_ID=${uniqueName()}.b`;
    const none = `KEPLER_SERVICE_ID=${uniqueName()}.none`;
    const main = await serviceTree(a);
    await serviceTree(b);
    const found = await waitFor(() => {
      const f = findServiceProcesses([a, b, none]);
      // Both processes of each tree, and sh has exec'd sleep (under load the pair shows before the exec).
      const execd = f.get(a)?.find((p) => p.pid === main.pid)?.name === 'sleep';
      return execd && f.get(a)?.length === 2 && f.get(b)?.length === 2 ? f : null;
    }, 'both trees');
    expect(found.get(none)).toEqual([]);
    const mine = found.get(a)!;
    expect(mine.find((p) => p.pid === main.pid)).toEqual({
      pid: main.pid,
      startTime: main.startTime,
      pgid: main.pid,
      name: 'sleep',
    });
    const escaped = mine.find((p) => p.pid !== main.pid)!;
    expect(escaped.pgid).toBe(escaped.pid); // its own session: not in the service's group
    expect(new Set(found.get(b)!.map((p) => p.pid)).has(main.pid)).toBe(false);
  });
});

test('findProcessesByMarkers looks for several markers in one pass', async () => {
  setCgroupsEnabled(false);
  const a = `KEPLER_SERVICE_ID=${uniqueName()}.a`;
  const proc = await serviceTree(a);
  const found = await waitFor(() => {
    const f = findProcessesByMarkers([a, 'K=none']);
    return f.get(a)?.length === 2 ? f : null;
  }, 'the tree');
  expect(found.get(a)).toContain(proc.pid);
  expect(found.get('K=none')).toEqual([]);
});
