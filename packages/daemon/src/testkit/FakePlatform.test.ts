// The fake itself: what the in-process tests rely on it to do like the real platform.
import { ignoresSigterm, runsUntilStopped } from './behaviours.js';
import { FakePlatform } from './FakePlatform.js';

const spec = (command: string[], stdout: number | 'pipe' = 'pipe', stderr: number | 'pipe' = 'pipe') => ({
  command,
  cwd: '/',
  env: {},
  user: null,
  group: null,
  limits: { memoryBytes: null, cpuTimeSec: null, maxFds: null },
  stdout,
  stderr,
});

test('a stop signals, waits the grace on the clock, then SIGKILLs a process that ignores it', async () => {
  const fake = new FakePlatform();
  fake.onSpawn('stubborn', ignoresSigterm());
  const spawned = await fake.spawn(spec(['stubborn']));
  const proc = await fake.waitForSpawn('stubborn');
  const stop = fake.stopProcessTree({
    pid: spawned.pid,
    pgid: spawned.pid,
    signal: 'SIGTERM',
    graceMs: 1000,
  });
  expect(proc.signals).toEqual(['SIGTERM']);
  expect(fake.clock.pending()).toEqual([1000]);
  fake.clock.advance(1000);
  expect(await stop).toEqual({ killed: true });
  expect(await spawned.exited).toEqual({ code: null, signal: 'SIGKILL' });
});

test("a service's output file keeps what it wrote; a dead daemon life is not told of it", async () => {
  const fake = new FakePlatform();
  fake.onSpawn('svc', runsUntilStopped);
  const out = fake.openOutputForChild('/f/svc.stdout');
  const err = fake.openOutputForChild('/f/svc.stderr');
  const file = fake.openOutputFile('/f/svc.stdout');
  let changes = 0;
  file.watch(() => changes++);
  await fake.spawn(spec(['svc'], out, err));
  fake.closeFd(out);
  fake.closeFd(err);
  const proc = await fake.waitForSpawn('svc');
  proc.print('one');
  expect(changes).toBe(1);
  const next = fake.nextDaemon(); // the daemon is down
  proc.print('two');
  expect(changes).toBe(1);
  const again = next.openOutputFile('/f/svc.stdout');
  expect(again.id).toBe(file.id);
  const buf = Buffer.alloc(64);
  expect(buf.subarray(0, again.read(buf, 0)).toString()).toBe('one\ntwo\n');
  expect(buf.subarray(0, again.read(buf, 4)).toString()).toBe('two\n');
});

test('a dead daemon life is told nothing; the next adopts by pid and start time', async () => {
  const first = new FakePlatform();
  const spawned = await first.spawn(spec(['svc']));
  const next = first.nextDaemon();
  await expect(first.spawn(spec(['svc']))).rejects.toThrow(/ended/);
  expect(next.isSameProcess(spawned.pid, spawned.startTime)).toBe(true);
  expect(next.isSameProcess(spawned.pid, '1')).toBe(false);
  const watch = next.watchForeignExit(spawned.pid, spawned.startTime);
  let ownExitSeen = false;
  void spawned.exited.then(() => {
    ownExitSeen = true;
  });
  next.process(spawned.pid)!.kill('SIGKILL');
  expect(await watch.exited).toEqual({ code: null, signal: null });
  expect(ownExitSeen).toBe(false);
});

test('users resolve like the real resolver words them', () => {
  const fake = new FakePlatform();
  expect(fake.resolveUser(null, null)).toMatchObject({ uid: 0, name: 'root' });
  expect(fake.resolveUser('alice', 'users')).toMatchObject({ uid: 1000, gid: 100 });
  expect(fake.resolveUser('1001', null)).toMatchObject({ name: 'bob' });
  expect(() => fake.resolveUser('mallory', null)).toThrow('unknown user: mallory');
  expect(() => fake.resolveUser('alice', 'wheel')).toThrow('unknown group: wheel');
});

test('with realTime, the clock follows real time and its timers fire on their own', async () => {
  const fake = new FakePlatform({ realTime: true });
  const before = fake.clock.now();
  await new Promise<void>((resolve) => fake.clock.setTimeout(resolve, 10));
  expect(fake.clock.now() - before).toBeGreaterThanOrEqual(9);
  expect(fake.clock.pending()).toEqual([]);
});
