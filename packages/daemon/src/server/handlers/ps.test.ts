import type { ServiceInfo } from '@kepler/protocol';
import type { ConfigActor } from '../../config/ConfigActor.js';
import { psResult } from './ps.js';

const row = (config: string, patch: Partial<Record<keyof ServiceInfo, unknown>> = {}): ServiceInfo =>
  ({
    config,
    name: 'web',
    status: 'running',
    pid: 10,
    exitCode: null,
    signal: null,
    restarts: 0,
    startedAt: null,
    stoppedAt: null,
    health: null,
    healthFailures: 0,
    lastHealthOutput: null,
    reason: null,
    ...patch,
  }) as ServiceInfo;

/** Just what psResult reads of an actor; a stale one's changed file is `<path>.env`. */
const actor = (
  path: string,
  rows: ServiceInfo[],
  warnings: string[] = [],
  stale = false,
  overlays?: string[],
) =>
  ({
    path,
    ps: () => rows,
    warnings: () => warnings,
    changedSourcePaths: () => (stale ? [`${path}.env`] : []),
    baked: overlays ? { overlays } : {},
  }) as unknown as ConfigActor;

test('configs whose snapshot is stale are listed; no stale field when none is', () => {
  expect(psResult([actor('/a', [row('/a')], [], true), actor('/b', [row('/b')])], () => undefined)).toEqual({
    services: [row('/a'), row('/b')],
    stale: ['/a'],
    snapshots: [{ config: '/a', overlays: [], changed: ['/a.env'] }],
  });
});

test("ps of one config notes a snapshot baked with other overlays than the request's, stale or not", () => {
  const baked = actor('/a', [row('/a')], [], false, ['/a.prod']);
  expect(psResult([baked], () => undefined, ['/a.prod'])).toEqual({ services: [row('/a')] });
  expect(psResult([baked], () => undefined, [])).toEqual({
    services: [row('/a')],
    snapshots: [{ config: '/a', overlays: ['/a.prod'], changed: [] }],
  });
  // Without requested overlays (ps --all) only staleness counts.
  expect(psResult([baked], () => undefined)).toEqual({ services: [row('/a')] });
  expect(psResult([actor('/a', [row('/a')])], () => undefined, ['/a.prod'])).toEqual({
    services: [row('/a')],
    snapshots: [{ config: '/a', overlays: [], changed: [] }],
  });
});

test('rows and warnings of every config; no warnings field when there are none', () => {
  expect(psResult([actor('/a', [row('/a')]), actor('/b', [row('/b')])], () => undefined)).toEqual({
    services: [row('/a'), row('/b')],
  });
  expect(psResult([actor('/a', [row('/a')], ['state.json was invalid'])], () => undefined)).toEqual({
    services: [row('/a')],
    warnings: [{ config: '/a', message: 'state.json was invalid' }],
  });
});

test('a config whose rows the client would reject is left out with a warning; the others are listed', () => {
  const logged: string[] = [];
  const r = psResult([actor('/a', [row('/a', { restarts: -5 })]), actor('/b', [row('/b')])], (l) =>
    logged.push(l),
  );
  expect(r.services).toEqual([row('/b')]);
  expect(r.warnings).toEqual([
    {
      config: '/a',
      message: expect.stringMatching(
        /^cannot list its services \(internal error\): .*restarts: expected a whole number >= 0/,
      ),
    },
  ]);
  expect(logged).toEqual([expect.stringMatching(/^internal error: the ps rows of \/a are invalid/)]);
});
