import type { BakedConfig } from '@kepler/config';
import type { ServiceStatus, StreamEvent } from '@kepler/protocol';
import { FollowScope } from './FollowScope.js';

/** Just what FollowScope reads: the services and their dependency edges (api -> db; worker alone). */
const baked = {
  services: {
    db: { dependsOn: {} },
    api: { dependsOn: { db: { condition: 'service_started' } } },
    worker: { dependsOn: {} },
  },
  serviceOrder: ['db', 'api', 'worker'],
} as unknown as BakedConfig;

const status = (service: string, s: ServiceStatus = 'running'): StreamEvent =>
  ({ type: 'serviceStatusChanged', service, status: s, previous: 'starting', reason: null }) as StreamEvent;

describe('FollowScope', () => {
  test('with a name: that service and its dependencies, global progress; begun first, then what was held', () => {
    const sent: StreamEvent[] = [];
    const scope = new FollowScope(baked, ['api'], (e) => sent.push(e));
    scope.forward(status('db'));
    scope.forward(status('worker'));
    scope.forward({ type: 'progress', service: 'worker', message: 'running pre_start hook' });
    scope.forward({ type: 'progress', service: 'global', message: 'running pre_start hook' });
    expect(sent).toEqual([]);
    scope.begin({ started: ['db', 'api'], alreadyRunning: [] });
    scope.begin({ started: ['ignored'], alreadyRunning: [] }); // only the first counts
    scope.forward(status('api'));
    scope.forward(status('worker', 'stopping'));
    expect(
      sent.map((e) =>
        e.type === 'begun' ? `begun ${e.started}` : `${e.type} ${'service' in e ? e.service : ''}`,
      ),
    ).toEqual(['begun db,api', 'serviceStatusChanged db', 'progress global', 'serviceStatusChanged api']);
    expect(scope.quiescenceSet(['db', 'api'])).toEqual(['api']);
  });

  test('without names: everything, and every target ends the follow', () => {
    const sent: StreamEvent[] = [];
    const scope = new FollowScope(baked, [], (e) => sent.push(e));
    scope.begin({ started: ['db', 'api', 'worker'], alreadyRunning: [] });
    scope.forward(status('worker'));
    expect(sent).toHaveLength(2);
    expect(scope.quiescenceSet(['db', 'api', 'worker'])).toEqual(['db', 'api', 'worker']);
  });

  test('an unknown name is left to the operation to reject', () => {
    expect(() => new FollowScope(baked, ['nope'], () => undefined)).not.toThrow();
  });
});
