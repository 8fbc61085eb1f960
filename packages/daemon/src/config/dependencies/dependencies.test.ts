import type {
  BakedConfig,
  BakedDependency,
  BakedService,
  DependencyCondition,
  ExitCodeRange,
} from '@kepler/config';
import { DEPENDENCY_CONDITIONS, STARTUP_CONDITIONS } from '@kepler/config';
import type { ServiceStatus } from '@kepler/protocol';
import { SERVICE_STATUSES } from '@kepler/protocol';
import {
  type DepView,
  dependentsOf,
  type EdgeVerdict,
  evaluateEdge,
  exitCodeMatches,
  startupCluster,
  stopOrder,
  withDependencies,
} from './dependencies.js';

function edge(condition: DependencyCondition, more: Partial<BakedDependency> = {}): BakedDependency {
  return {
    condition,
    timeoutMs: null,
    restart: false,
    exitCode: null,
    wait: STARTUP_CONDITIONS.has(condition),
    required: true,
    ...more,
  };
}

function service(name: string, dependsOn: Record<string, BakedDependency> = {}): BakedService {
  return {
    name,
    command: ['true'],
    workingDir: '/tmp',
    environment: {},
    envFile: null,
    sysEnv: 'clear',
    dependsOn,
    restart: {
      policy: 'no',
      watch: [],
      backoff: { initialMs: 100, multiplier: 2, maxMs: 30000, resetAfterMs: 10000 },
      maxRetries: null,
    },
    healthcheck: null,
    hooks: {},
    user: null,
    group: null,
    logs: {
      maxSizeBytes: null,
      bufferSize: 0,
      timestamp: false,
      store: { stdout: true, stderr: true },
      retention: { onStart: 'retain', onStop: 'clear', onRestart: 'retain', onExit: 'retain' },
    },
    limits: { memoryBytes: null, cpuTimeSec: null, maxFds: null },
    stopSignal: 'SIGTERM',
    stopGracePeriodMs: 10000,
    priority: 0,
  };
}

/** A config from `[name, edges]` pairs, in source order. */
function config(services: [string, Record<string, BakedDependency>?][]): BakedConfig {
  return {
    formatVersion: 1,
    sourcePath: '/tmp/kepler.yaml',
    configDir: '/tmp',
    hash: 'x',
    bakedAt: '1970-01-01T00:00:00.000Z',
    capturedEnv: {},
    kepler: {
      sysEnv: 'clear',
      timeoutMs: null,
      logs: service('x').logs,
      hooks: {},
    },
    services: Object.fromEntries(services.map(([n, deps]) => [n, service(n, deps)])),
    serviceOrder: services.map(([n]) => n),
    envFiles: [],
  };
}

/** A plausible view of a dependency in `status`: exited with 0, failed with 1, unhealthy after healthy. */
function view(status: ServiceStatus, more: Partial<DepView> = {}): DepView {
  return {
    status,
    exitCode: status === 'exited' ? 0 : status === 'failed' ? 1 : null,
    signal: null,
    wasHealthy: status === 'unhealthy',
    hasHealthcheck: true,
    willRestart: false,
    ...more,
  };
}

const S: EdgeVerdict = 'satisfied';
const P: EdgeVerdict = 'pending';
const I: EdgeVerdict = 'impossible';

// Rows: condition; columns: SERVICE_STATUSES order
// stopped, waiting, starting, running, healthy, unhealthy, stopping, restarting, exited, failed
const MATRIX: Record<DependencyCondition, EdgeVerdict[]> = {
  service_started: [I, P, P, S, S, S, P, P, I, I],
  service_healthy: [I, P, P, P, S, P, P, P, I, I],
  service_completed_successfully: [I, P, P, P, P, P, P, P, S, I],
  service_unhealthy: [I, P, P, P, P, S, P, P, I, I],
  service_failed: [I, P, P, P, P, P, P, P, I, S],
  service_stopped: [S, P, P, P, P, P, P, P, S, S],
};

describe('evaluateEdge: every condition x every status', () => {
  test('the matrix columns follow SERVICE_STATUSES', () => {
    expect(SERVICE_STATUSES).toEqual([
      'stopped',
      'waiting',
      'starting',
      'running',
      'healthy',
      'unhealthy',
      'stopping',
      'restarting',
      'exited',
      'failed',
    ]);
  });
  for (const condition of DEPENDENCY_CONDITIONS) {
    SERVICE_STATUSES.forEach((status, i) => {
      const expected = MATRIX[condition][i];
      test(`${condition} / ${status} (no restart) -> ${expected}`, () => {
        expect(evaluateEdge('db', edge(condition), view(status)).verdict).toBe(expected);
      });
      // A dependency that will be started again can still satisfy anything it does not satisfy now.
      const withRestart = expected === I ? P : expected;
      test(`${condition} / ${status} (will restart) -> ${withRestart}`, () => {
        expect(evaluateEdge('db', edge(condition), view(status, { willRestart: true })).verdict).toBe(
          withRestart,
        );
      });
    });
  }
});

describe('evaluateEdge: specifics', () => {
  test('service_healthy and service_unhealthy without a healthcheck are impossible, even with restarts', () => {
    for (const condition of ['service_healthy', 'service_unhealthy'] as const) {
      for (const status of SERVICE_STATUSES) {
        const r = evaluateEdge(
          'db',
          edge(condition),
          view(status, { hasHealthcheck: false, willRestart: true }),
        );
        expect(r.verdict).toBe(I);
        expect(r.reason).toMatch(/db has no healthcheck/);
      }
    }
  });

  test('service_unhealthy needs the dependency to have been healthy first', () => {
    expect(
      evaluateEdge('db', edge('service_unhealthy'), view('unhealthy', { wasHealthy: false })).verdict,
    ).toBe(P);
    expect(
      evaluateEdge('db', edge('service_unhealthy'), view('unhealthy', { wasHealthy: true })).verdict,
    ).toBe(S);
  });

  test('service_completed_successfully: a non-zero exit is impossible without a restart', () => {
    expect(
      evaluateEdge('db', edge('service_completed_successfully'), view('failed', { exitCode: 3 })),
    ).toEqual({
      verdict: I,
      reason: 'db exited with code 3 and will not restart (needed service_completed_successfully)',
    });
    expect(
      evaluateEdge('db', edge('service_completed_successfully'), view('exited', { exitCode: 0 })).verdict,
    ).toBe(S);
  });

  test('service_started on a one-shot that exited with policy no is impossible', () => {
    expect(evaluateEdge('db', edge('service_started'), view('exited'))).toEqual({
      verdict: I,
      reason: 'db exited with code 0 and will not restart (needed service_started)',
    });
  });

  test('pending reasons name what is awaited', () => {
    const reasons = DEPENDENCY_CONDITIONS.map((c) => evaluateEdge('db', edge(c), view('starting')).reason);
    expect(reasons).toEqual([
      'waiting for db to start',
      'waiting for db to be healthy',
      'waiting for db to complete successfully',
      'waiting for db to become unhealthy',
      'waiting for db to fail',
      'waiting for db to stop',
    ]);
    const filtered = edge('service_failed', {
      exitCode: [
        { min: 1, max: 1 },
        { min: 5, max: 10 },
      ],
    });
    expect(evaluateEdge('db', filtered, view('running')).reason).toBe(
      'waiting for db to fail with exit code in [1, 5:10]',
    );
  });

  test('impossible reasons say how the dependency ended', () => {
    expect(
      evaluateEdge('db', edge('service_healthy'), view('failed', { exitCode: null, signal: 'SIGKILL' }))
        .reason,
    ).toBe('db killed by SIGKILL and will not restart (needed service_healthy)');
    expect(evaluateEdge('db', edge('service_healthy'), view('failed', { exitCode: null })).reason).toBe(
      'db failed and will not restart (needed service_healthy)',
    );
    expect(evaluateEdge('db', edge('service_healthy'), view('stopped')).reason).toBe(
      'db is stopped and will not restart (needed service_healthy)',
    );
    expect(
      evaluateEdge(
        'db',
        edge('service_stopped', { exitCode: [{ min: 0, max: 0 }] }),
        view('stopped', { signal: 'SIGTERM' }),
      ).reason,
    ).toBe('db was stopped by SIGTERM and will not restart (needed service_stopped with exit code in [0])');
  });

  test('satisfied carries a reason too', () => {
    expect(evaluateEdge('db', edge('service_started'), view('running')).reason).toBe('db is running');
    expect(evaluateEdge('db', edge('service_healthy'), view('healthy')).reason).toBe('db is healthy');
  });
});

describe('evaluateEdge: exit code filters', () => {
  const codes = (...r: [number, number][]): ExitCodeRange[] => r.map(([min, max]) => ({ min, max }));
  const failed = (filter: ExitCodeRange[] | null, exit: Partial<DepView>) =>
    evaluateEdge(
      'db',
      edge('service_failed', { exitCode: filter }),
      view('failed', { exitCode: null, ...exit }),
    ).verdict;
  const stopped = (status: ServiceStatus, filter: ExitCodeRange[] | null, exit: Partial<DepView>) =>
    evaluateEdge(
      'db',
      edge('service_stopped', { exitCode: filter }),
      view(status, { exitCode: null, ...exit }),
    ).verdict;

  test('service_failed: single codes and inclusive ranges', () => {
    const f = codes([5, 5], [1, 3]);
    expect(failed(f, { exitCode: 5 })).toBe(S);
    expect(failed(f, { exitCode: 1 })).toBe(S);
    expect(failed(f, { exitCode: 3 })).toBe(S);
    expect(failed(f, { exitCode: 4 })).toBe(I);
    expect(failed(f, { exitCode: 6 })).toBe(I);
    expect(failed(f, { exitCode: 4, willRestart: true })).toBe(P);
  });

  test('service_failed: a signal counts as -1', () => {
    expect(failed(codes([1, 255]), { signal: 'SIGKILL' })).toBe(I);
    expect(failed(codes([-1, -1]), { signal: 'SIGKILL' })).toBe(S);
    expect(failed(codes([-1, 0]), { signal: 'SIGTERM' })).toBe(S);
    expect(failed(null, { signal: 'SIGKILL' })).toBe(S);
  });

  test('service_failed: a failure with no code (spawn failure) matches only without a filter', () => {
    expect(failed(null, {})).toBe(S);
    expect(failed(codes([-1, -1]), {})).toBe(I);
    expect(failed(codes([-1000, 1000]), {})).toBe(I);
  });

  test('service_failed: a clean exit never satisfies it', () => {
    const r = evaluateEdge('db', edge('service_failed', { exitCode: codes([0, 0]) }), view('exited'));
    expect(r.verdict).toBe(I);
  });

  test('service_stopped: the filter applies to exited, failed and stopped codes', () => {
    const f = codes([0, 0], [-1, -1]);
    expect(stopped('exited', f, { exitCode: 0 })).toBe(S);
    expect(stopped('failed', f, { exitCode: 2 })).toBe(I);
    expect(stopped('failed', f, { signal: 'SIGKILL' })).toBe(S);
    expect(stopped('stopped', f, { signal: 'SIGTERM' })).toBe(S);
    expect(stopped('stopped', codes([0, 0]), { signal: 'SIGTERM' })).toBe(I);
    expect(stopped('stopped', codes([143, 143]), { exitCode: 143 })).toBe(S);
  });

  test('service_stopped: no code at all — a stop matches any filter, a failure only no filter', () => {
    expect(stopped('stopped', codes([3, 3]), {})).toBe(S);
    expect(stopped('failed', codes([3, 3]), {})).toBe(I);
    expect(stopped('failed', null, {})).toBe(S);
  });

  test('exitCodeMatches', () => {
    expect(exitCodeMatches(null, 0)).toBe(true);
    expect(exitCodeMatches(null, -1)).toBe(true);
    expect(exitCodeMatches([], 0)).toBe(false);
    expect(exitCodeMatches(codes([1, 10]), 1)).toBe(true);
    expect(exitCodeMatches(codes([1, 10]), 10)).toBe(true);
    expect(exitCodeMatches(codes([1, 10]), 0)).toBe(false);
    expect(exitCodeMatches(codes([1, 10]), 11)).toBe(false);
    expect(exitCodeMatches(codes([-1, -1]), -1)).toBe(true);
    expect(exitCodeMatches(codes([0, 0], [5, 5]), 5)).toBe(true);
  });
});

describe('startupCluster', () => {
  test('startup conditions are in, deferred conditions and everything after them are out', () => {
    const c = config([
      ['db'],
      ['migrate', { db: edge('service_healthy') }],
      ['api', { db: edge('service_started'), migrate: edge('service_completed_successfully') }],
      ['alert', { api: edge('service_failed') }],
      ['pager', { alert: edge('service_started') }],
      ['pager2', { pager: edge('service_started') }],
      ['cleanup', { db: edge('service_stopped') }],
      ['watch', { api: edge('service_unhealthy') }],
    ]);
    expect([...startupCluster(c)].sort()).toEqual(['api', 'db', 'migrate']);
  });

  test('wait: false moves a startup edge out; wait: true moves a deferred edge in', () => {
    const c = config([
      ['db'],
      ['batch', { db: edge('service_completed_successfully', { wait: false }) }],
      ['after_batch', { batch: edge('service_started') }],
      ['notify', { db: edge('service_failed', { wait: true }) }],
      ['after_notify', { notify: edge('service_started') }],
    ]);
    expect([...startupCluster(c)].sort()).toEqual(['after_notify', 'db', 'notify']);
  });

  test('a wait: true edge to a deferred service is still deferred', () => {
    const c = config([
      ['a'],
      ['b', { a: edge('service_failed') }],
      ['c', { b: edge('service_started', { wait: true }) }],
    ]);
    expect([...startupCluster(c)]).toEqual(['a']);
  });

  test('among filters the result but not the membership', () => {
    const c = config([
      ['a'],
      ['b', { a: edge('service_failed') }],
      ['c', { b: edge('service_started') }],
      ['d'],
    ]);
    expect([...startupCluster(c, new Set(['c', 'd']))]).toEqual(['d']);
    expect([...startupCluster(c, new Set(['a', 'b']))]).toEqual(['a']);
  });

  test('an edge to an undefined service disqualifies the dependent', () => {
    const c = config([
      ['a', { ghost: edge('service_started') }],
      ['b', { a: edge('service_started') }],
    ]);
    expect(startupCluster(c).size).toBe(0);
  });
});

describe('withDependencies', () => {
  const c = config([
    ['web', { api: edge('service_healthy') }],
    ['worker', { queue: edge('service_started') }],
    ['api', { db: edge('service_healthy'), cache: edge('service_started') }],
    ['cache'],
    ['db'],
    ['queue', { db: edge('service_started') }],
    ['lonely'],
  ]);

  test('adds dependencies transitively, dependencies first', () => {
    expect(withDependencies(c, ['web'])).toEqual(['cache', 'db', 'api', 'web']);
  });

  test('follows source order where the graph leaves a choice', () => {
    expect(withDependencies(c, ['worker', 'web'])).toEqual(['cache', 'db', 'api', 'web', 'queue', 'worker']);
    expect(withDependencies(c, ['lonely', 'cache'])).toEqual(['cache', 'lonely']);
  });

  test('every service comes after its dependencies for the whole config', () => {
    const order = withDependencies(c, c.serviceOrder);
    expect(new Set(order).size).toBe(c.serviceOrder.length);
    for (const [i, n] of order.entries()) {
      for (const d of Object.keys(c.services[n]?.dependsOn ?? {})) expect(order.indexOf(d)).toBeLessThan(i);
    }
  });

  test('an unknown service is an UNKNOWN_SERVICE error', () => {
    expect(() => withDependencies(c, ['nope'])).toThrow(expect.objectContaining({ code: 'UNKNOWN_SERVICE' }));
  });

  test('a cycle does not hang', () => {
    const cyc = config([
      ['a', { b: edge('service_started') }],
      ['b', { a: edge('service_started') }],
    ]);
    expect(withDependencies(cyc, ['a']).sort()).toEqual(['a', 'b']);
  });
});

describe('stopOrder', () => {
  test('independent services stop in reverse source order', () => {
    const c = config([['a'], ['b'], ['c']]);
    expect(stopOrder(c, ['a', 'b', 'c'])).toEqual(['c', 'b', 'a']);
    expect(stopOrder(c, ['b', 'a'])).toEqual(['b', 'a']);
  });

  test('dependents stop before their dependencies even against source order', () => {
    const c = config([
      ['web', { api: edge('service_started') }],
      ['api', { db: edge('service_healthy') }],
      ['db'],
      ['tool'],
    ]);
    expect(stopOrder(c, ['db', 'api', 'web', 'tool'])).toEqual(['tool', 'web', 'api', 'db']);
  });

  test('order holds through services not being stopped', () => {
    const c = config([
      ['db'],
      ['api', { db: edge('service_started') }],
      ['web', { api: edge('service_started') }],
    ]);
    expect(stopOrder(c, ['db', 'web'])).toEqual(['web', 'db']);
    const rev = config([
      ['web', { api: edge('service_started') }],
      ['api', { db: edge('service_started') }],
      ['db'],
    ]);
    expect(stopOrder(rev, ['db', 'web'])).toEqual(['web', 'db']);
  });

  test('deduplicates and keeps unknown names last', () => {
    const c = config([['a'], ['b', { a: edge('service_started') }]]);
    expect(stopOrder(c, ['a', 'zz', 'b', 'a'])).toEqual(['b', 'a', 'zz']);
  });
});

describe('dependentsOf', () => {
  const c = config([
    ['db'],
    ['api', { db: edge('service_healthy', { restart: true }) }],
    ['web', { api: edge('service_started') }],
    ['worker', { db: edge('service_started') }],
  ]);
  test('direct dependents in source order, not transitive', () => {
    expect(dependentsOf(c, 'db')).toEqual(['api', 'worker']);
    expect(dependentsOf(c, 'web')).toEqual([]);
  });
  test('restartOnly keeps only restart: true edges', () => {
    expect(dependentsOf(c, 'db', { restartOnly: true })).toEqual(['api']);
    expect(dependentsOf(c, 'api', { restartOnly: true })).toEqual([]);
  });
});

describe('graph orders at scale', () => {
  /** The former quadratic definitions, as the reference the linear ones must agree with. */
  function stopOrderReference(c: BakedConfig, names: readonly string[]): string[] {
    const index = new Map(c.serviceOrder.map((n, i) => [n, i]));
    const depsOf = (n: string) => Object.keys(c.services[n]?.dependsOn ?? {});
    const deps = new Map<string, Set<string>>();
    for (const n of names) {
      const seen = new Set<string>();
      const stack = depsOf(n);
      while (stack.length) {
        const d = stack.pop()!;
        if (!seen.has(d)) stack.push(...depsOf(d));
        seen.add(d);
      }
      deps.set(n, seen);
    }
    const remaining = [...new Set(names)].sort((a, b) => index.get(b)! - index.get(a)!);
    const out: string[] = [];
    while (remaining.length) {
      const i = remaining.findIndex((n) => !remaining.some((o) => o !== n && deps.get(o)?.has(n)));
      out.push(...remaining.splice(Math.max(i, 0), 1));
    }
    return out;
  }

  function randomDag(size: number, seed: number): BakedConfig {
    let x = seed;
    const rand = () => {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      return x / 2 ** 31;
    };
    const names = Array.from({ length: size }, (_, i) => `s${i}`);
    // Edges only to services defined later in a shuffled order: acyclic, but not in source order.
    const rank = names.map(() => rand());
    return config(
      names.map((n, i) => {
        const edges: Record<string, BakedDependency> = {};
        for (const [j, m] of names.entries()) {
          if (rank[j]! > rank[i]! && rand() < 3 / size) edges[m] = edge('service_started');
        }
        return [n, edges];
      }),
    );
  }

  test('stopOrder agrees with the reference on random graphs, for all and for subsets', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const c = randomDag(25, seed);
      expect(stopOrder(c, c.serviceOrder)).toEqual(stopOrderReference(c, c.serviceOrder));
      const some = c.serviceOrder.filter((_, i) => (i * seed) % 3 === 0);
      expect(stopOrder(c, some)).toEqual(stopOrderReference(c, some));
    }
  });

  test('withDependencies puts dependencies first on random graphs', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const c = randomDag(25, seed);
      const order = withDependencies(c, c.serviceOrder);
      expect([...order].sort()).toEqual([...c.serviceOrder].sort());
      for (const [i, n] of order.entries()) {
        for (const d of Object.keys(c.services[n]!.dependsOn)) expect(order.indexOf(d)).toBeLessThan(i);
      }
    }
  });

  test('ordering grows linearly: 10,000 services cost about 10x what 1,000 do, not 100x', () => {
    const cost = (size: number): number => {
      const names = Array.from({ length: size }, (_, i) => `s${i}`);
      const flat = config(names.map((n) => [n]));
      const chain = config(names.map((n, i) => [n, i > 0 ? { [`s${i - 1}`]: edge('service_started') } : {}]));
      const t0 = performance.now();
      for (const c of [flat, chain]) {
        expect(stopOrder(c, names)).toHaveLength(size);
        expect(withDependencies(c, names)).toHaveLength(size);
        expect(startupCluster(c).size).toBe(size);
      }
      expect(stopOrder(chain, names)[0]).toBe(`s${size - 1}`);
      expect(withDependencies(chain, [`s${size - 1}`])[0]).toBe('s0');
      return performance.now() - t0;
    };
    cost(1000); // warm-up
    const small = Math.min(cost(1000), cost(1000));
    const large = cost(10_000);
    // Linear is 10x (a little more for the heap's log factor); the former scans were 100x and more.
    expect(large / small).toBeLessThan(40);
  });
});
