import { PassThrough } from 'node:stream';
import type { BakedService } from '@kepler/config';
import type { Platform, ProcessExit, SpawnedProcess, SpawnSpec, StopTreeOptions } from '../platform/index.js';
import { manualClock } from './__tests__/support.js';
import { runCommandProbe } from './commandProbe.js';
import { runWithinDeadline } from './probeDeadline.js';

/** One turn of the event loop: lets the pipes deliver what was written (not a wait for time). */
const nextTurn = () => new Promise((r) => setImmediate(r));

/** A probe process the test ends by hand: write to its pipes, then exit(). */
interface FakeProbe {
  stdout: PassThrough;
  stderr: PassThrough;
  exit(e: ProcessExit): void;
}

/**
 * A Platform with a fake spawn and a manual clock: probes are never real processes, and a timeout
 * fires when the test says so (`fireTimers()`), not after a wait. Members a probe does not use throw.
 */
function fakePlatform(opts: { spawnError?: Error } = {}) {
  const spawned: SpawnSpec[] = [];
  const probes: FakeProbe[] = [];
  const stops: StopTreeOptions[] = [];
  const { clock, timers, fireTimers } = manualClock();
  let nextPid = 4000;
  const unused = (): never => {
    throw new Error('not used by command probes');
  };
  const platform: Platform = {
    async spawn(spec) {
      spawned.push(spec);
      if (opts.spawnError) throw opts.spawnError;
      let exit: (e: ProcessExit) => void = () => {};
      const exited = new Promise<ProcessExit>((resolve) => {
        exit = resolve;
      });
      const probe: FakeProbe = { stdout: new PassThrough(), stderr: new PassThrough(), exit };
      probes.push(probe);
      const proc: SpawnedProcess = {
        pid: nextPid++,
        startTime: '1',
        exited,
        cgroup: null,
        stdout: probe.stdout,
        stderr: probe.stderr,
      };
      return proc;
    },
    async stopProcessTree(o) {
      stops.push(o);
      probes.at(-1)?.exit({ code: null, signal: 'SIGKILL' });
      return { killed: true };
    },
    sweepMarker: unused,
    isSameProcess: unused,
    readUsage: unused,
    watchForeignExit: unused,
    watchDescendantExit: unused,
    readPidFile: unused,
    findServiceProcesses: unused,
    removeCgroupOfMarker: unused,
    resolveUser: unused,
    openOutputForChild: unused,
    openOutputFile: unused,
    openLegacyFifo: unused,
    closeFd: unused,
    launchSlice: unused,
    spawnSlot: unused,
    clock,
    findPortHolders: unused,
  };
  /** Resolves once the probe has spawned its process (spawn is awaited before the pipes are read). */
  const started = async (): Promise<FakeProbe> => {
    while (probes.length === 0) await nextTurn();
    await nextTurn();
    return probes[0] as FakeProbe;
  };
  return { platform, spawned, stops, timers, fireTimers, started };
}

// The probe reads only these fields of the service.
const service = {
  workingDir: '/srv/app',
  environment: { APP_ENV: 'test' },
  user: 'app',
  group: 'staff',
} as Partial<BakedService> as BakedService;
const MARKER = 'KEPLER_SERVICE_ID=abc.web';

/** Starts `check` as a probe on a fresh fake platform and waits for its (fake) process. */
async function startProbe(opts: { timeoutMs?: number; signal?: AbortSignal; test?: string[] } = {}) {
  const fake = fakePlatform();
  const { timeoutMs = 1000, signal, test = ['check'] } = opts;
  const pending = runCommandProbe(fake.platform, service, test, timeoutMs, MARKER, signal);
  return { fake, pending, probe: await fake.started() };
}

/** Writes to a probe's pipe and lets the probe read it. */
async function say(pipe: PassThrough, text: string): Promise<void> {
  pipe.write(text);
  await nextTurn();
}

describe('runCommandProbe', () => {
  test('runs the test as the service runs, in its marker, with pipes and no limits', async () => {
    const { fake, pending, probe } = await startProbe({ test: ['curl', '-f', 'x'] });
    probe.exit({ code: 0, signal: null });
    await pending;
    expect(fake.spawned).toEqual([
      {
        command: ['curl', '-f', 'x'],
        cwd: '/srv/app',
        env: { APP_ENV: 'test' },
        marker: MARKER,
        user: 'app',
        group: 'staff',
        limits: { memoryBytes: null, cpuTimeSec: null, maxFds: null },
        stdout: 'pipe',
        stderr: 'pipe',
      },
    ]);
  });

  test('exit 0 passes with the trimmed output of both pipes', async () => {
    const { fake, pending, probe } = await startProbe();
    await say(probe.stdout, 'all ');
    await say(probe.stderr, 'good\n');
    probe.exit({ code: 0, signal: null });
    expect(await pending).toEqual({ ok: true, output: 'all good' });
    expect(fake.timers.size).toBe(0);
  });

  test('a failure without output names its exit code or signal', async () => {
    const byCode = await startProbe();
    byCode.probe.exit({ code: 3, signal: null });
    expect(await byCode.pending).toEqual({ ok: false, output: 'exit code 3' });

    const bySignal = await startProbe();
    bySignal.probe.exit({ code: null, signal: 'SIGTERM' });
    expect(await bySignal.pending).toEqual({ ok: false, output: 'exit code SIGTERM' });
  });

  test('output keeps its last 4096 bytes', async () => {
    const { pending, probe } = await startProbe();
    await say(probe.stdout, `${'y'.repeat(20000)}END`);
    probe.exit({ code: 1, signal: null });
    const r = await pending;
    expect(r.output).toHaveLength(4096);
    expect(r.output.endsWith('END')).toBe(true);
  });

  test('a spawn that fails is a failed probe, not a rejection', async () => {
    const fake = fakePlatform({ spawnError: new Error('user app: no such user') });
    expect(await runCommandProbe(fake.platform, service, ['check'], 1000, MARKER)).toEqual({
      ok: false,
      output: 'user app: no such user',
    });
  });

  test("past the timeout the probe's own process group is killed and the check fails", async () => {
    const { fake, pending, probe } = await startProbe({ timeoutMs: 250 });
    await say(probe.stdout, 'still working\n');
    fake.fireTimers();
    expect(await pending).toEqual({
      ok: false,
      output: 'health check timed out after 250 ms: still working',
    });
    // Its own group only (no marker): the service keeps running.
    expect(fake.stops).toEqual([{ pid: 4000, pgid: 4000, signal: 'SIGKILL', graceMs: 0 }]);
  });

  test("under the monitor's watchdog the probe arms no timer of its own: the watchdog's ends it", async () => {
    const fake = fakePlatform();
    const stopped = new AbortController();
    const pending = runWithinDeadline(
      (signal) => runCommandProbe(fake.platform, service, ['check'], 50, MARKER, signal),
      50,
      stopped.signal,
    );
    await fake.started();
    expect(fake.timers.size).toBe(0);
    expect(await pending).toEqual({
      ok: false,
      output: 'exit code SIGKILL\nhealth check timed out after 50 ms',
    });
    expect(fake.stops).toEqual([{ pid: 4000, pgid: 4000, signal: 'SIGKILL', graceMs: 0 }]);
  });

  test('an abort kills the probe; it is not reported as a timeout', async () => {
    const ac = new AbortController();
    const { fake, pending } = await startProbe({ signal: ac.signal });
    ac.abort();
    expect(await pending).toEqual({ ok: false, output: 'exit code SIGKILL' });
    expect(fake.stops).toHaveLength(1);
    expect(fake.timers.size).toBe(0);
  });

  test('an abort that came while the probe was spawning kills it at once', async () => {
    const ac = new AbortController();
    ac.abort();
    const { fake, pending } = await startProbe({ signal: ac.signal });
    expect(await pending).toEqual({ ok: false, output: 'exit code SIGKILL' });
    expect(fake.stops).toHaveLength(1);
  });

  test('after the probe exits, neither its timer nor an abort kills anything', async () => {
    const ac = new AbortController();
    const { fake, pending, probe } = await startProbe({ signal: ac.signal });
    probe.exit({ code: 0, signal: null });
    await pending;
    ac.abort();
    fake.fireTimers();
    expect(fake.stops).toEqual([]);
  });
});
