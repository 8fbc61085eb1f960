import type { RestartPolicy } from '@kepler/config';
import { isActive, SERVICE_STATUSES, type ServiceStatus } from '@kepler/protocol';
import { canTransition, TRANSITIONS } from '../service/lifecycle.js';
import { legalPath, planRecovery, type RecoveryInput, type RecoveryPlan } from './recovery.js';
import type { SpawnRecord } from './state/SpawnJournal.js';

const WRITTEN_AT = Date.parse('2026-12-01T10:00:00.000Z');
const LATER = '2026-12-01T10:00:05.000Z';
const EARLIER = '2026-12-01T09:59:55.000Z';

/** The kinds of spawned/ record a service can have, relative to a state.json that says `spawns: 3`. */
const JOURNALS: Record<string, SpawnRecord | null> = {
  none: null,
  sameSpawn: { spawn: 3, pid: 300, startTime: '3000', startedAt: EARLIER },
  newerSpawn: { spawn: 4, pid: 400, startTime: '4000', startedAt: LATER },
  newerStop: { spawn: 3, pid: 300, startTime: '3000', startedAt: EARLIER, stoppedAt: LATER },
  olderStop: { spawn: 3, pid: 300, startTime: '3000', startedAt: EARLIER, stoppedAt: EARLIER },
  newerStopping: { spawn: 3, pid: 300, startTime: '3000', startedAt: EARLIER, stoppingAt: LATER },
  newerSpawnStopping: { spawn: 4, pid: 400, startTime: '4000', startedAt: LATER, stoppingAt: LATER },
  olderStopping: { spawn: 3, pid: 300, startTime: '3000', startedAt: EARLIER, stoppingAt: EARLIER },
};

/** A backoff wait state.json recorded (restart_delay_ms, restart_at). */
const WAIT = { delayMs: 20_000, restartAt: LATER };

function input(
  over: Partial<RecoveryInput> & {
    status: ServiceStatus;
    pid?: number | null;
    pendingRestart?: typeof WAIT | null;
  },
): RecoveryInput {
  const { status, pid = 300, pendingRestart = null, ...rest } = over;
  return {
    state: {
      status,
      pid,
      startTime: pid === null ? null : '3000',
      spawns: 3,
      restarts: 2,
      pendingRestart,
    },
    desired: 'stop',
    journal: null,
    stateWrittenAtMs: WRITTEN_AT,
    trusted: true,
    recordAlive: false,
    journalAlive: false,
    restartPolicy: 'no',
    ...rest,
  };
}

/** Walks the plan's steps through the table; returns the status it ends in. */
function walk(from: ServiceStatus, plan: RecoveryPlan): ServiceStatus {
  let at = from;
  for (const step of plan.steps) {
    expect([at, step.to, canTransition(at, step.to)]).toEqual([at, step.to, true]);
    at = step.to;
  }
  return at;
}

describe('planRecovery: every persisted status x spawned/ record x liveness', () => {
  const cases: RecoveryInput[] = [];
  for (const status of SERVICE_STATUSES)
    for (const journal of Object.values(JOURNALS))
      for (const pid of [300, null])
        for (const desired of ['run', 'stop'] as const)
          for (const trusted of [true, false])
            for (const recordAlive of [true, false])
              for (const journalAlive of [true, false])
                for (const restartPolicy of ['no', 'on-failure'] as RestartPolicy[])
                  for (const pendingRestart of [null, WAIT])
                    cases.push(
                      input({
                        status,
                        pid,
                        desired,
                        journal,
                        trusted,
                        recordAlive,
                        journalAlive,
                        restartPolicy,
                        pendingRestart,
                      }),
                    );

  test('each step is allowed by the table, and the plan ends where its action says', () => {
    for (const c of cases) {
      const plan = planRecovery(c);
      const end = walk(c.state.status, plan);
      switch (plan.action) {
        case 'adopt':
          expect(['running', 'healthy', 'unhealthy']).toContain(end);
          expect(plan.desired).toBe('run');
          expect(plan.adopt).not.toBeNull();
          break;
        case 'finishStop':
          expect([end, plan.desired, plan.adopt !== null]).toEqual(['stopping', 'stop', true]);
          break;
        case 'stopDone':
          expect([end, plan.desired, plan.adopt]).toEqual(['stopped', 'stop', null]);
          break;
        case 'requeue':
          expect([end, plan.desired, plan.adopt]).toEqual(['waiting', 'run', null]);
          break;
        case 'resumeBackoff':
          expect([c.state.pendingRestart, plan.steps]).toEqual([WAIT, []]);
          expect([end, plan.desired, plan.adopt]).toEqual(['restarting', 'run', null]);
          break;
        case 'diedWhileDown':
          expect(plan.adopt).toBeNull();
          expect([end, plan.desired]).toEqual(
            c.restartPolicy === 'no' ? ['failed', 'stop'] : ['waiting', 'run'],
          );
          break;
        case 'none':
          expect(end).toBe(c.state.status);
          expect(isActive(end) || end === 'waiting' || end === 'restarting').toBe(false);
          expect([plan.desired, plan.adopt]).toEqual(['stop', null]);
          break;
      }
    }
  });

  test('only a live process is adopted, and never one a stop record says is gone', () => {
    for (const c of cases) {
      const plan = planRecovery(c);
      if (plan.adopt === null) continue;
      const fromJournal = plan.adopt.pid === c.journal?.pid && c.journal.spawn > c.state.spawns;
      expect(fromJournal ? c.journalAlive : c.recordAlive || c.journalAlive).toBe(true);
      expect(c.journal?.stoppedAt !== undefined && c.journal.stoppedAt === LATER).toBe(false);
    }
  });
});

describe('planRecovery: the paths', () => {
  test('a newer spawn over `stopped` is stopped -> starting -> running, then adopted', () => {
    const plan = planRecovery(
      input({ status: 'stopped', pid: null, journal: JOURNALS.newerSpawn!, journalAlive: true }),
    );
    expect(plan.steps.map((s) => s.to)).toEqual(['starting', 'running']);
    expect(plan.steps[1]!.patch).toMatchObject({ spawns: 4, pid: 400, startTime: '4000' });
    expect(plan).toMatchObject({ action: 'adopt', desired: 'run', adopt: { pid: 400, startTime: '4000' } });
  });

  test('a newer spawn whose process is gone died while the daemon was down', () => {
    const plan = planRecovery(
      input({ status: 'stopped', pid: null, journal: JOURNALS.newerSpawn!, restartPolicy: 'always' }),
    );
    expect(plan.steps.map((s) => s.to)).toEqual(['starting', 'running', 'failed', 'waiting']);
    expect(plan.steps[2]!.patch).toMatchObject({
      reason: 'process ended while the daemon was down',
      restarts: 3,
    });
    expect(plan).toMatchObject({ action: 'diedWhileDown', desired: 'run' });
  });

  test('an untrusted record with a dead newer spawn is left alone', () => {
    const plan = planRecovery(
      input({ status: 'stopped', pid: null, journal: JOURNALS.newerSpawn!, trusted: false }),
    );
    expect(plan).toMatchObject({ action: 'none', steps: [] });
  });

  test('a stop record over `running` is running -> stopping -> stopped, whatever runs', () => {
    const plan = planRecovery(
      input({ status: 'running', desired: 'run', journal: JOURNALS.newerStop!, recordAlive: true }),
    );
    expect(plan.steps.map((s) => s.to)).toEqual(['stopping', 'stopped']);
    expect(plan.steps[1]!.patch).toEqual({ spawns: 3, pid: null, stoppedAt: LATER, reason: null });
    expect(plan).toMatchObject({ action: 'stopDone', desired: 'stop', adopt: null });
  });

  test('a stop record over `stopped` still brings its spawn count and time (no status change)', () => {
    const plan = planRecovery(input({ status: 'stopped', pid: null, journal: JOURNALS.newerStop! }));
    expect(plan.steps).toEqual([
      { to: 'stopped', patch: { spawns: 3, pid: null, stoppedAt: LATER, reason: null } },
    ]);
  });

  test('an older stop record (state.json written since) changes nothing', () => {
    const plan = planRecovery(
      input({ status: 'running', desired: 'run', journal: JOURNALS.olderStop!, recordAlive: true }),
    );
    expect(plan).toMatchObject({ action: 'adopt', steps: [] });
  });

  test('an interrupted stop on request is finished: adopted and stopped, or seen done', () => {
    const alive = planRecovery(
      input({ status: 'running', desired: 'run', journal: JOURNALS.newerStopping!, journalAlive: true }),
    );
    expect(alive.steps.map((s) => s.to)).toEqual(['stopping']);
    expect(alive).toMatchObject({ action: 'finishStop', desired: 'stop', adopt: { pid: 300 } });
    const gone = planRecovery(input({ status: 'stopping', recordAlive: false }));
    expect(gone.steps).toEqual([{ to: 'stopped', patch: { pid: null } }]);
    expect(gone).toMatchObject({ action: 'stopDone', desired: 'stop' });
  });

  test('a newer spawn being stopped, over `stopped`, goes through starting to stopping', () => {
    const plan = planRecovery(
      input({ status: 'stopped', pid: null, journal: JOURNALS.newerSpawnStopping!, journalAlive: true }),
    );
    expect(plan.steps.map((s) => s.to)).toEqual(['starting', 'stopping']);
    expect(plan).toMatchObject({ action: 'finishStop', adopt: { pid: 400 } });
  });

  test('`starting` without a process launches again: stopped, then waiting', () => {
    const plan = planRecovery(input({ status: 'starting', pid: null, desired: 'run' }));
    expect(plan.steps.map((s) => s.to)).toEqual(['stopped', 'waiting']);
    expect(plan).toMatchObject({ action: 'requeue', desired: 'run' });
  });

  test('`starting` with a live process is adopted as running', () => {
    const plan = planRecovery(input({ status: 'starting', desired: 'run', recordAlive: true }));
    expect(plan.steps.map((s) => s.to)).toEqual(['running']);
    expect(plan.action).toBe('adopt');
  });

  test('died while down: failed, requeued only when the policy restarts', () => {
    const no = planRecovery(input({ status: 'healthy', desired: 'run', restartPolicy: 'no' }));
    expect(no.steps).toEqual([
      { to: 'failed', patch: { pid: null, reason: 'process ended while the daemon was down' } },
    ]);
    expect(no).toMatchObject({ action: 'diedWhileDown', desired: 'stop' });
    const yes = planRecovery(input({ status: 'unhealthy', desired: 'run', restartPolicy: 'on-failure' }));
    expect(yes.steps.map((s) => s.to)).toEqual(['failed', 'waiting']);
    expect(yes.steps[0]!.patch).toMatchObject({ restarts: 3 });
  });

  test('waiting stays waiting; restarting and a user restart in its middle wait again', () => {
    expect(planRecovery(input({ status: 'waiting', pid: null }))).toMatchObject({
      action: 'requeue',
      steps: [],
    });
    expect(planRecovery(input({ status: 'restarting', pid: null })).steps.map((s) => s.to)).toEqual([
      'waiting',
    ]);
    // Waiting out a backoff state.json recorded: it stays restarting (the runtime waits out the rest).
    expect(planRecovery(input({ status: 'restarting', pid: null, pendingRestart: WAIT }))).toEqual({
      action: 'resumeBackoff',
      desired: 'run',
      steps: [],
      adopt: null,
    });
    const midRestart = planRecovery(input({ status: 'stopped', pid: null, desired: 'run' }));
    expect(midRestart.steps.map((s) => s.to)).toEqual(['waiting']);
    expect(planRecovery(input({ status: 'exited', pid: null }))).toMatchObject({ action: 'none', steps: [] });
  });
});

test('legalPath finds a path between every two statuses, each step in the table', () => {
  for (const from of SERVICE_STATUSES)
    for (const to of SERVICE_STATUSES) {
      let at = from;
      const path = legalPath(from, to);
      expect(path.slice(0, -1)).not.toContain('waiting');
      for (const s of path) {
        expect(TRANSITIONS[at]).toContain(s);
        at = s;
      }
      expect(at).toBe(to);
    }
});

test('liveness is asked only when the plan needs it (each answer is a /proc lookup)', () => {
  let asked = 0;
  const counting = (c: RecoveryInput): RecoveryInput => ({
    ...c,
    get recordAlive() {
      asked++;
      return false;
    },
    get journalAlive() {
      asked++;
      return false;
    },
  });
  planRecovery(counting(input({ status: 'stopped', pid: null, journal: JOURNALS.newerStop! })));
  planRecovery(counting(input({ status: 'exited', pid: null, journal: JOURNALS.sameSpawn! })));
  expect(asked).toBe(0);
  planRecovery(counting(input({ status: 'running' })));
  expect(asked).toBe(1);
});

describe('resume after the daemon shutdown (resume_at_start)', () => {
  const marked = (over: Partial<Parameters<typeof input>[0]> = {}) =>
    planRecovery(
      input({
        status: 'stopped',
        pid: null,
        resumeAfterShutdown: true,
        restartPolicy: 'always',
        ...over,
      }),
    );

  test('a stopped `always` service the shutdown marked is resumed, its shutdown stop in the journal or not', () => {
    for (const journal of [JOURNALS.none!, JOURNALS.newerStop!, JOURNALS.olderStop!, JOURNALS.sameSpawn!]) {
      expect(marked({ journal })).toEqual({ action: 'resume', desired: 'stop', steps: [], adopt: null });
    }
  });

  test('no mark, another policy, or a spawn newer than the record: not resumed', () => {
    expect(marked({ resumeAfterShutdown: false }).action).toBe('none');
    expect(marked({ resumeAfterShutdown: undefined }).action).toBe('none');
    for (const restartPolicy of ['no', 'on-failure'] as RestartPolicy[])
      expect(marked({ restartPolicy }).action).toBe('none');
    expect(marked({ journal: JOURNALS.newerSpawn!, journalAlive: true }).action).toBe('adopt');
  });

  test('a record the shutdown left before its stop was written (still running) is recovered as today', () => {
    const plan = marked({ status: 'running', pid: 300, recordAlive: true });
    expect(plan.action).toBe('adopt');
  });
});
