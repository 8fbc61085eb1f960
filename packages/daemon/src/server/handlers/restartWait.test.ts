// In-process: `kepler restart -d --wait db` through the restart handler, on the fake platform. The
// `restart: true` dependents it restarts are part of what it did: waited for, and reported as started.
import type { StreamEvent } from '@kepler/protocol';
import type { ConfigRegistry } from '../../config/ConfigRegistry.js';
import { exitsWith, inTurn, runsUntilStopped } from '../../testkit/behaviours.js';
import { config } from '../../testkit/configBuilder.js';
import { type Harness, startHarness } from '../../testkit/harness.js';
import type { RequestContext } from './HandlerTable.js';
import { restartHandler } from './startModes.js';

let h: Harness;
afterEach(() => h?.close());

test('restart --wait db returns only once its restart: true dependent runs again, and counts it', async () => {
  h = await startHarness(
    config()
      .service('db', { command: ['db'] })
      .service('backend', {
        command: ['backend'],
        depends_on: { db: { condition: 'service_started', restart: true } },
        hooks: { pre_start: { command: ['backend-pre-start'] } },
      })
      .service('web', { command: ['web'], depends_on: { db: { condition: 'service_started' } } }),
  );
  // The first launch's pre_start passes at once; the restart's is held until the test ends it.
  h.platform.onSpawn('backend-pre-start', inTurn(exitsWith(0), runsUntilStopped));
  await h.actor.start([]);
  for (const s of ['db', 'backend', 'web']) await h.waitForStatus(s, 'running');
  const before = { db: h.info('db').pid, backend: h.info('backend').pid };

  const events: StreamEvent[] = [];
  const ctx: RequestContext = {
    emit: (e) => events.push(e),
    drained: async () => undefined,
    cancelled: new Promise<void>(() => undefined),
    isCancelled: () => false,
  };
  const registry = { get: async () => h.actor } as unknown as ConfigRegistry;
  const req = {
    type: 'restart' as const,
    config: { path: h.baked.sourcePath, env: {} },
    services: ['db'],
    mode: 'wait' as const,
  };
  let answered = false;
  const answer = restartHandler(registry)(req, ctx).finally(() => {
    answered = true;
  });

  const hook = await h.platform.waitForSpawn('backend-pre-start', { after: 1 });
  // db runs again (backend launches once it does), yet the wait goes on for backend.
  expect(h.info('db')).toMatchObject({ status: 'running', restarts: 1 });
  expect(h.info('db').pid).not.toBe(before.db);
  await h.holds(() => !answered, 'no answer while backend is still starting again', 100);
  hook.exit(0);
  const result = await answer;

  expect(result.failure).toBeUndefined();
  // As start reports what it started: db, and backend restarted with it (web has no restart edge).
  expect(result.started).toEqual(['db', 'backend']);
  const backend = result.services.find((s) => s.name === 'backend')!;
  expect(backend).toMatchObject({ status: 'running', restarts: 1 });
  expect(backend.pid).not.toBe(before.backend);
  expect(events.some((e) => e.type === 'ready')).toBe(true);
});
