import { fromPersisted, initialServiceState, toPersisted } from '../../service/serviceState.js';
import { parsePersistedState, stateWarning } from './persistedState.js';

const good = {
  status: 'running',
  pid: 4242,
  start_time: '123456',
  exit_code: null,
  signal: null,
  restarts: 2,
  health_failures: 0,
  health: null,
  started_at: '2026-12-02T05:00:00.000Z',
  stopped_at: null,
  reason: null,
  init_done: true,
  desired: 'run',
  was_healthy: false,
  spawns: 3,
};

const file = (services: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ version: 1, global_init_done: true, services, ...extra });

test('a valid file is kept as is, with no problems; unknown services and fields are dropped', () => {
  const r = parsePersistedState(file({ web: { ...good, later: 1 }, gone: good }), ['web', 'db']);
  expect(r.problems).toEqual([]);
  expect(r.state?.services).toEqual({ web: good });
  expect(r.state?.global_init_done).toBe(true);
  // db has no entry (added to the config since): nothing recorded about it can be trusted.
  expect([...r.untrusted]).toEqual(['db']);
});

test('a bad counter is reset and reported; the rest of the entry (the process) is kept', () => {
  const r = parsePersistedState(file({ web: { ...good, restarts: -5 }, db: good }), ['web', 'db']);
  expect(r.problems).toEqual(['services.web.restarts: expected a whole number >= 0, got -5 (reset to 0)']);
  expect(r.state?.services.web).toEqual({ ...good, restarts: 0 });
  expect(r.state?.services.db).toEqual(good);
  expect([...r.untrusted]).toEqual(['web']);
});

test.each([
  ['exit_code', 300],
  ['exit_code', 1.5],
  ['signal', 'KILL; rm -rf'],
  ['health_failures', '1'],
  ['health', 'great'],
  ['started_at', 'yesterday'],
  ['stopped_at', 12],
  ['reason', 'x'.repeat(5000)],
  ['init_done', 'yes'],
  ['desired', 'maybe'],
  ['was_healthy', 1],
  ['spawns', -1],
  ['consecutive_crashes', 1.5],
  ['restart_delay_ms', -10],
  ['restart_at', 'soon'],
  ['resume_at_start', 'yes'],
])('%s = %j is reported and reset', (key, value) => {
  const r = parsePersistedState(file({ web: { ...good, [key]: value } }), ['web']);
  expect(r.problems).toHaveLength(1);
  expect(r.problems[0]).toMatch(new RegExp(`^services\\.web\\.${key}: expected .*\\(reset to `));
  expect(r.state?.services.web?.status).toBe('running');
  expect(r.state?.services.web?.pid).toBe(4242);
});

test('an unknown status with a recorded process loads as running (recover adopts it if it is alive)', () => {
  const r = parsePersistedState(file({ web: { ...good, status: 'bogus' } }), ['web']);
  expect(r.problems[0]).toMatch(
    /^services\.web\.status: expected one of .*got "bogus" \(loaded as running\)$/,
  );
  expect(r.state?.services.web).toMatchObject({ status: 'running', pid: 4242, desired: 'stop' });
});

test('an unknown status without a process, or a running one without a pid, loads as stopped', () => {
  const noPid = { ...good, pid: null, start_time: null };
  const r = parsePersistedState(file({ a: { ...noPid, status: 7 }, b: noPid }), ['a', 'b']);
  expect(r.state?.services.a).toMatchObject({ status: 'stopped', desired: 'stop' });
  expect(r.state?.services.b).toMatchObject({ status: 'stopped', desired: 'stop' });
  expect(r.problems).toEqual([
    expect.stringMatching(/^services\.a\.status: .*\(loaded as stopped\)$/),
    'services.b.status: running without a pid (loaded as stopped)',
  ]);
});

test('pid and start time are checked as a pair', () => {
  for (const [pid, start] of [
    [1, '5'],
    [0, '5'],
    [-3, '5'],
    [4242, null],
    [4242, 'abc'],
    ['4242', '5'],
    [2 ** 40, '5'],
  ]) {
    const r = parsePersistedState(file({ web: { ...good, pid, start_time: start } }), ['web']);
    expect(r.state?.services.web).toMatchObject({ status: 'stopped', pid: null, start_time: null });
    expect(r.problems[0]).toMatch(/^services\.web\.pid\/start_time: /);
  }
  const stopped = parsePersistedState(file({ web: { ...good, status: 'exited' } }), ['web']);
  expect(stopped.state?.services.web).toMatchObject({ status: 'exited', pid: null, start_time: null });
  expect(stopped.problems).toEqual(['services.web.pid: exited with a pid (cleared)']);
});

test('the start time the daemon leaves behind once a process ended (pid null) is no problem', () => {
  // What a stop writes: the pid cleared, the last process's start time kept; read back after a daemon restart.
  const ended = { ...good, status: 'stopped', pid: null, start_time: '5', desired: 'stop' };
  const r = parsePersistedState(file({ web: ended }), ['web']);
  expect(r.problems).toEqual([]);
  expect(r.untrusted.size).toBe(0);
  expect(r.state?.services.web).toMatchObject({ status: 'stopped', pid: null, start_time: null });
});

test('a file that is not JSON, or not an object with services, gives no state and a problem', () => {
  for (const [text, problem] of [
    ['', /^not valid JSON/],
    ['{"services": [', /^not valid JSON/],
    ['[]', /^expected an object with "services", got \[\]/],
    ['{"services": []}', /^expected an object with "services"/],
    ['null', /^expected an object with "services", got null/],
  ] as const) {
    const r = parsePersistedState(text, ['web']);
    expect(r.state).toBeNull();
    expect(r.problems).toEqual([expect.stringMatching(problem)]);
    expect([...r.untrusted]).toEqual(['web']);
  }
});

test('an entry that is not an object is dropped; a bad version or global_init_done is reported', () => {
  const r = parsePersistedState(
    JSON.stringify({ version: 2, global_init_done: 'no', services: { web: 'running', db: good } }),
    ['web', 'db'],
  );
  expect(r.state?.services).toEqual({ db: good });
  expect(r.state?.global_init_done).toBe(false);
  expect(r.problems).toEqual([
    'version: expected 1, got 2',
    'global_init_done: expected true or false, got "no"',
    'services.web: expected an object, got "running" (loaded as stopped)',
  ]);
});

test('stateWarning lists the first problems and counts the rest', () => {
  expect(stateWarning(['a', 'b'])).toBe('state.json was invalid when loaded: a; b');
  expect(stateWarning(['a', 'b', 'c', 'd', 'e'])).toBe(
    'state.json was invalid when loaded: a; b; c; 2 more in daemon.log',
  );
});

test("inspect's records (status time, last exit, last cause) are kept when valid, reset and reported when not", () => {
  const records = {
    status_since: '2026-12-02T05:00:00.000Z',
    last_exit: { code: null, signal: 'SIGKILL', at: '2026-12-02T04:59:00.000Z' },
    last_cause: {
      what: 'restart',
      kind: 'crash',
      detail: 'killed by SIGKILL',
      at: '2026-12-02T04:59:00.000Z',
    },
  };
  const ok = parsePersistedState(file({ web: { ...good, ...records } }), ['web']);
  expect(ok.problems).toEqual([]);
  expect(ok.state?.services.web).toEqual({ ...good, ...records });

  const bad = parsePersistedState(
    file({
      web: {
        ...good,
        status_since: 'yesterday',
        last_exit: { code: 300, signal: null, at: '2026-12-02T04:59:00.000Z' },
        last_cause: { ...records.last_cause, kind: 'gremlins' },
      },
    }),
    ['web'],
  );
  expect(bad.problems).toEqual([
    'services.web.status_since: expected an ISO time or null, got "yesterday" (reset to nothing)',
    'services.web.last_exit: expected an exit record or null, got {"code":300,"signal":null,"at":"2026-12… (reset to nothing)',
    'services.web.last_cause: expected a cause record or null, got {"what":"restart","kind":"gremlins","de… (reset to nothing)',
  ]);
  // The process is still adopted: only the post-mortem records are lost.
  expect(bad.state?.services.web).toMatchObject({ pid: 4242, start_time: '123456', status: 'running' });
  expect(bad.state?.services.web?.last_cause).toBeUndefined();
});

test('a backoff wait and the restart counter are kept; older files without them load as before', () => {
  const waiting = {
    ...good,
    status: 'restarting',
    pid: null,
    start_time: null,
    consecutive_crashes: 2,
    restart_delay_ms: 20_000,
    restart_at: '2026-12-02T05:00:20.000Z',
  };
  const r = parsePersistedState(file({ web: waiting, db: good }), ['web', 'db']);
  expect(r.problems).toEqual([]);
  expect(r.state?.services.web).toEqual(waiting);
  expect(r.state?.services.db?.consecutive_crashes).toBeUndefined();
  expect(r.state?.services.db?.restart_at).toBeUndefined();
});

test("the shutdown's resume mark is kept; older files without it load unmarked", () => {
  const marked = {
    ...good,
    status: 'stopped',
    pid: null,
    start_time: null,
    desired: 'stop',
    resume_at_start: true,
  };
  const r = parsePersistedState(file({ web: marked, db: good }), ['web', 'db']);
  expect(r.problems).toEqual([]);
  expect(r.state?.services.web).toEqual(marked);
  expect(fromPersisted(r.state!.services.web!).resumeAtStart).toBe(true);
  expect(fromPersisted(r.state!.services.db!).resumeAtStart).toBe(false);
  // Written only when set, so an unmarked entry reads as an older file's.
  expect(toPersisted({ ...initialServiceState(), resumeAtStart: true }, 'stop').resume_at_start).toBe(true);
  expect(toPersisted(initialServiceState(), 'stop')).not.toHaveProperty('resume_at_start');
});
