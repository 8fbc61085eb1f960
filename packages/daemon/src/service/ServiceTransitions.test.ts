import type { BakedService } from '@kepler/config';
import type { ServiceStatus } from '@kepler/protocol';
import { planRecovery } from '../config/recovery.js';
import type { ServiceHost } from './ServiceHost.js';
import { ServiceRuntime } from './ServiceRuntime.js';
import { initialServiceState } from './serviceState.js';

/** A host that records what the runtime tells it; nothing here spawns (no plan adopts). */
function recordingHost() {
  const events: Array<[ServiceStatus, ServiceStatus, 'run' | 'stop']> = [];
  let persisted = 0;
  let rt: ServiceRuntime | null = null;
  const host = {
    outputDir: '/nonexistent',
    serviceIdOf: (s: string) => `cfg.${s}`,
    persist: () => void persisted++,
    statusChanged: (_name: string, previous: ServiceStatus, state: { status: ServiceStatus }) =>
      events.push([previous, state.status, rt!.desired]),
  } as unknown as ServiceHost;
  const spec = { name: 'web', restart: { policy: 'always' } } as unknown as BakedService;
  rt = new ServiceRuntime(spec, host);
  return { rt, events, persisted: () => persisted };
}

test('restore loads a record without an event; recovery goes through transitions with events', () => {
  const { rt, events, persisted } = recordingHost();
  rt.restore({ ...initialServiceState(), status: 'running', pid: 42, startTime: '7', spawns: 3 }, 'run');
  expect(events).toEqual([]);
  expect([rt.state.status, rt.desired]).toEqual(['running', 'run']);
  const plan = planRecovery({
    state: rt.state,
    desired: rt.desired,
    journal: null,
    stateWrittenAtMs: null,
    trusted: true,
    recordAlive: false,
    journalAlive: false,
    restartPolicy: 'always',
  });
  rt.applyRecovery(plan);
  // The wish is set before the steps: the host's side effects (journal, watchers) read it.
  expect(events).toEqual([
    ['running', 'failed', 'run'],
    ['failed', 'waiting', 'run'],
  ]);
  expect(rt.state).toMatchObject({ status: 'waiting', pid: null, restarts: 1 });
  expect(persisted()).toBe(2);
});

test('a step the table forbids is refused', () => {
  const { rt } = recordingHost();
  expect(() =>
    rt.applyRecovery({ action: 'none', desired: 'stop', steps: [{ to: 'running', patch: {} }], adopt: null }),
  ).toThrow('illegal transition of web: stopped -> running');
});

test('intents: withdrawWish, noteWaitingReason, failWaiting, failLaunch, carryStateFrom', () => {
  const { rt, events } = recordingHost();
  rt.markWaiting(null);
  expect([rt.state.status, rt.desired]).toEqual(['waiting', 'run']);
  rt.noteWaitingReason('waiting for db');
  expect(rt.state.reason).toBe('waiting for db');
  expect(events).toHaveLength(1); // a reason is no status change
  rt.withdrawWish();
  expect(rt.desired).toBe('stop');
  rt.failLaunch('global pre_start hook failed'); // only services that had not started yet
  expect(rt.state.status).toBe('waiting');
  rt.failWaiting('dependency not satisfied: db failed');
  expect(rt.state).toMatchObject({ status: 'failed', reason: 'dependency not satisfied: db failed' });
  rt.failLaunch('global on_init hook failed');
  expect(rt.state).toMatchObject({ status: 'failed', reason: 'global on_init hook failed' });
  const next = recordingHost();
  next.rt.carryStateFrom(rt);
  expect(next.rt.state).toEqual(rt.state);
  expect(next.rt.state).not.toBe(rt.state);
});
