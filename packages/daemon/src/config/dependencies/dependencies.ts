import type { BakedConfig, BakedDependency, ExitCodeRange } from '@kepler/config';
import { type ServiceStatus, STARTED_STATUSES, TERMINAL_STATUSES } from '@kepler/protocol';
import { DaemonError } from '../../errors.js';
import { exitPhrase } from '../../exitPhrase.js';
import { IndexHeap } from './IndexHeap.js';
import { orderPositions } from './priorities.js';

/**
 * Dependency logic as pure functions over a baked config and a snapshot of a dependency's state: no
 * timers, no I/O. The supervisor decides *when* to evaluate (on every status change of a dependency)
 * and what to do with the verdict (start, keep waiting, fail the dependent).
 */

/** What `evaluateEdge` needs to know about the dependency's current run. */
export interface DepView {
  status: ServiceStatus;
  exitCode: number | null;
  signal: string | null;
  /** The dependency was healthy at least once since it last started (for `service_unhealthy`). */
  wasHealthy: boolean;
  hasHealthcheck: boolean;
  /** will the dependency be started again by its restart policy or a pending start? */
  willRestart: boolean;
}

/**
 * `satisfied`: start the dependent. `pending`: keep waiting (the edge timeout still runs).
 * `impossible`: the condition can never become true; fail the dependent now instead of waiting.
 */
export type EdgeVerdict = 'satisfied' | 'pending' | 'impossible';

/** Exit code a filter is matched against: the code, -1 for a signal death, null when there is neither. */
function effectiveCode(dep: DepView): number | null {
  if (dep.exitCode !== null) return dep.exitCode;
  if (dep.signal !== null) return -1;
  return null;
}

/** "exited with code 1" / "killed by SIGKILL" / "failed" / "is stopped": how the dependency ended. */
function describeEnd(name: string, dep: DepView): string {
  if (dep.status === 'stopped') {
    if (dep.signal !== null) return `${name} was stopped by ${dep.signal}`;
    if (dep.exitCode !== null) return `${name} was stopped (exit code ${dep.exitCode})`;
    return `${name} is stopped`;
  }
  if (dep.signal !== null || dep.exitCode !== null)
    return `${name} ${exitPhrase({ code: dep.exitCode, signal: dep.signal })}`;
  return `${name} failed`;
}

/** `[1, 5:10, -1]`, as the user wrote the filter. */
export function formatExitCodeFilter(filter: readonly ExitCodeRange[]): string {
  return `[${filter.map((r) => (r.min === r.max ? `${r.min}` : `${r.min}:${r.max}`)).join(', ')}]`;
}

/**
 * Whether an exit code (or -1 for a signal death) matches an `exit_code` filter. A null filter matches
 * every code. Ranges are inclusive. It does not know about statuses: callers pass the code to test.
 */
export function exitCodeMatches(filter: readonly ExitCodeRange[] | null, code: number): boolean {
  if (filter === null) return true;
  return filter.some((r) => code >= r.min && code <= r.max);
}

/**
 * A filter against a dependency that ended with neither an exit code nor a signal (spawn failure,
 * dependency timeout, exit status lost across a daemon restart): only a null filter matches, since
 * there is no code to test and guessing one (-1, 127) would make `exit_code: [-1]` mean two things.
 */
function filterMatchesEnd(filter: readonly ExitCodeRange[] | null, dep: DepView): boolean {
  const code = effectiveCode(dep);
  if (code === null) return filter === null;
  return exitCodeMatches(filter, code);
}

const WAITING_FOR: Record<BakedDependency['condition'], string> = {
  service_started: 'to start',
  service_healthy: 'to be healthy',
  service_completed_successfully: 'to complete successfully',
  service_unhealthy: 'to become unhealthy',
  service_failed: 'to fail',
  service_stopped: 'to stop',
};

/**
 * Evaluates one `depends_on` edge against the dependency's current state.
 *
 * - service_started: running, healthy or unhealthy.
 * - service_healthy: healthy (impossible without a health check).
 * - service_completed_successfully: exited with code 0.
 * - service_unhealthy: unhealthy after having been healthy (impossible without a health check).
 * - service_failed: `failed` (non-zero exit or a signal, which counts as -1) with a matching exit code.
 *   A failure with no code at all (spawn failure, a dependency timeout, exit status unknown after a
 *   daemon restart) matches only when there is no `exit_code` filter.
 * - service_stopped: stopped, exited or failed; the filter applies to the exit code (or -1 for a
 *   signal) when there is one. With no code at all, `stopped` (never ran, or exit status unknown)
 *   matches any filter and a codeless `failed` matches only no filter, as for service_failed.
 *
 * The current status is judged first: a terminal status satisfies the deferred conditions even when
 * the dependency will restart. So the view must describe the dependency's current run — a dependency
 * about to be started by this same operation should be reported as waiting/starting, not with the
 * stale `stopped` of its last run, or `service_stopped` is satisfied at once.
 * `willRestart` only turns what would be `impossible` into `pending`.
 *
 * `reason` is a short sentence for `ps` and progress lines, e.g. "waiting for db to be healthy",
 * "db exited with code 1 and will not restart".
 */
export function evaluateEdge(
  depName: string,
  edge: BakedDependency,
  dep: DepView,
): { verdict: EdgeVerdict; reason: string } {
  const { condition } = edge;
  const ended = TERMINAL_STATUSES.has(dep.status);
  const code = effectiveCode(dep);
  // The filter only means something for the two conditions that take one.
  const filtered =
    edge.exitCode !== null && (condition === 'service_failed' || condition === 'service_stopped')
      ? ` with exit code in ${formatExitCodeFilter(edge.exitCode)}`
      : '';

  let satisfied: boolean;
  let satisfiedReason: string;
  // A reason that makes the edge impossible regardless of restarts (missing health check).
  let never: string | null = null;
  switch (condition) {
    case 'service_started':
      satisfied = STARTED_STATUSES.has(dep.status);
      satisfiedReason = `${depName} is ${dep.status}`;
      break;
    case 'service_healthy':
      satisfied = dep.status === 'healthy';
      satisfiedReason = `${depName} is healthy`;
      if (!dep.hasHealthcheck) never = `${depName} has no healthcheck, so it can never be healthy`;
      break;
    case 'service_completed_successfully':
      satisfied = dep.status === 'exited' && dep.exitCode === 0;
      satisfiedReason = `${depName} completed successfully`;
      break;
    case 'service_unhealthy':
      satisfied = dep.status === 'unhealthy' && dep.wasHealthy;
      satisfiedReason = `${depName} became unhealthy`;
      if (!dep.hasHealthcheck) never = `${depName} has no healthcheck, so it can never become unhealthy`;
      break;
    case 'service_failed':
      satisfied = dep.status === 'failed' && filterMatchesEnd(edge.exitCode, dep);
      satisfiedReason = describeEnd(depName, dep);
      break;
    case 'service_stopped':
      // A codeless failure follows the service_failed rule; a codeless stop matches any filter.
      if (!ended) satisfied = false;
      else if (dep.status === 'failed') satisfied = filterMatchesEnd(edge.exitCode, dep);
      else satisfied = code === null || exitCodeMatches(edge.exitCode, code);
      satisfiedReason = describeEnd(depName, dep);
      break;
  }

  if (never !== null) return { verdict: 'impossible', reason: never };
  if (satisfied) return { verdict: 'satisfied', reason: satisfiedReason };
  if (ended && !dep.willRestart) {
    return {
      verdict: 'impossible',
      reason: `${describeEnd(depName, dep)} and will not restart (needed ${condition}${filtered})`,
    };
  }
  return { verdict: 'pending', reason: `waiting for ${depName} ${WAITING_FOR[condition]}${filtered}` };
}

/**
 * Services in the startup cluster: every edge is `wait: true` and every target is itself in the
 * cluster, transitively (the seed's "Startup vs Deferred"). A service depending on a deferred one is
 * deferred. Membership is a property of the whole config's graph; `among` only filters the result
 * (e.g. the services a `start` touches). A target missing from the config disqualifies its dependent.
 * Services in a dependency cycle of wait edges stay in the cluster (validation rejects cycles).
 * Linear in services + edges: deferral spreads from its sources along reverse edges.
 */
export function startupCluster(config: BakedConfig, among?: ReadonlySet<string>): Set<string> {
  const dependents = reverseEdges(config);
  const deferred = new Set<string>();
  const stack: string[] = [];
  for (const name of config.serviceOrder) {
    const svc = config.services[name];
    const edges = svc ? Object.entries(svc.dependsOn) : [];
    if (!svc || edges.some(([target, edge]) => !edge.wait || !(target in config.services))) {
      deferred.add(name);
      stack.push(name);
    }
  }
  while (stack.length > 0) {
    for (const d of dependents.get(stack.pop() as string) ?? []) {
      if (deferred.has(d)) continue;
      deferred.add(d);
      stack.push(d);
    }
  }
  const cluster = new Set<string>();
  for (const n of config.serviceOrder) if (!deferred.has(n) && (!among || among.has(n))) cluster.add(n);
  return cluster;
}

/** Each service's position in source order. */
export function sourceIndex(config: BakedConfig): Map<string, number> {
  return new Map(config.serviceOrder.map((n, i) => [n, i]));
}

function depNames(config: BakedConfig, name: string): string[] {
  const svc = config.services[name];
  return svc ? Object.keys(svc.dependsOn).filter((d) => d in config.services) : [];
}

/**
 * Direct dependents of every service (targets missing from the config left out), in source order;
 * with `restartOnly`, only through `restart: true` edges. One pass over the edges.
 */
export function reverseEdges(
  config: BakedConfig,
  opts: { restartOnly?: boolean } = {},
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const n of config.serviceOrder) {
    const svc = config.services[n];
    for (const d of depNames(config, n)) {
      if (opts.restartOnly && !svc?.dependsOn[d]?.restart) continue;
      const list = out.get(d) ?? [];
      if (list.length === 0) out.set(d, list);
      if (list.at(-1) !== n) list.push(n);
    }
  }
  return out;
}

/**
 * Kahn's algorithm over `nodes` (positions by priority, then source order: `orderPositions`),
 * `blockers.get(n)` being how many nodes must go before n and `unblocks(n)` the nodes n's going
 * releases. Nodes for which `emit` is false only pass the order on: they go as soon as they are free.
 * Among free emitted nodes the heap picks the earliest or latest position; when none is free (a cycle, which validation rejects) the
 * earliest or latest remaining node goes anyway.
 */
function orderBy(
  nodes: readonly number[],
  blockers: Map<number, number>,
  unblocks: (n: number) => readonly number[],
  pick: 'min' | 'max',
  emit: (n: number) => boolean,
): number[] {
  const heap = new IndexHeap(pick);
  const passing: number[] = [];
  const free = (n: number) => (emit(n) ? heap.push(n) : passing.push(n));
  for (const n of nodes) if ((blockers.get(n) ?? 0) === 0) free(n);
  const sorted = [...nodes].sort((a, b) => (pick === 'min' ? a - b : b - a));
  const done = new Set<number>();
  const out: number[] = [];
  let fallback = 0;
  while (done.size < nodes.length) {
    let n = passing.pop() ?? heap.pop();
    if (n === undefined) {
      // cycle: break it at the first remaining node in pick order
      while (done.has(sorted[fallback]!)) fallback++;
      n = sorted[fallback]!;
    }
    if (done.has(n)) continue;
    done.add(n);
    if (emit(n)) out.push(n);
    for (const m of unblocks(n)) {
      const left = (blockers.get(m) ?? 0) - 1;
      blockers.set(m, left);
      if (left === 0 && !done.has(m)) free(m);
    }
  }
  return out;
}

/**
 * `names` plus everything they depend on, transitively, in dependency-first order: each service comes
 * after all its dependencies, and among services free to go, the lower effective priority
 * (priorities.ts), then the earlier in source order, goes first.
 * Throws `UNKNOWN_SERVICE` for a name not in the config; edges to undefined services are skipped
 * (validation rejects them). In a cycle (also rejected by validation) the rest follow in source order.
 */
export function withDependencies(config: BakedConfig, names: readonly string[]): string[] {
  for (const n of names) {
    if (!(n in config.services)) throw new DaemonError('UNKNOWN_SERVICE', `no service named ${n}`);
  }
  const closure = new Set<string>();
  const stack = [...names];
  while (stack.length > 0) {
    const n = stack.pop() as string;
    if (closure.has(n)) continue;
    closure.add(n);
    stack.push(...depNames(config, n));
  }
  const { index, names: byPosition } = orderPositions(config);
  const nodes = [...closure].map((n) => index.get(n) ?? 0);
  const blockers = new Map<number, number>();
  const dependents = new Map<number, number[]>();
  for (const n of closure) {
    const deps = new Set(depNames(config, n));
    const i = index.get(n) ?? 0;
    blockers.set(i, deps.size);
    for (const d of deps) {
      const j = index.get(d) ?? 0;
      const list = dependents.get(j) ?? [];
      if (list.length === 0) dependents.set(j, list);
      list.push(i);
    }
  }
  const order = orderBy(
    nodes,
    blockers,
    (i) => dependents.get(i) ?? [],
    'min',
    () => true,
  );
  return order.map((i) => byPosition[i]!);
}

/**
 * Order to stop `names`: each service before everything it depends on (also through services not in
 * `names`), and among independent services, the highest effective priority (priorities.ts) first,
 * then reverse source order. Unknown names go last, as given.
 * Linear in the config's services and edges (plus a log factor for the choice among free services).
 */
export function stopOrder(config: BakedConfig, names: readonly string[]): string[] {
  const { index, names: byPosition } = orderPositions(config);
  const unique = [...new Set(names)];
  const wanted = new Set(unique.filter((n) => index.has(n)).map((n) => index.get(n)!));
  const unknown = unique.filter((n) => !index.has(n));
  // The whole graph takes part, so order holds through services not being stopped; a service may go
  // once every service depending on it has gone.
  const all = byPosition.map((_, i) => i);
  const deps = byPosition.map((n) => [...new Set(depNames(config, n))].map((d) => index.get(d)!));
  const blockers = new Map<number, number>();
  for (const list of deps) for (const j of list) blockers.set(j, (blockers.get(j) ?? 0) + 1);
  const order = orderBy(
    all,
    blockers,
    (i) => deps[i] ?? [],
    'max',
    (i) => wanted.has(i),
  );
  return [...order.map((i) => byPosition[i]!), ...unknown];
}

/**
 * Direct dependents of `name` (services whose `depends_on` names it), in source order; with
 * `restartOnly`, only those whose edge has `restart: true`. Not transitive. (For many lookups, build
 * `reverseEdges` once.)
 */
export function dependentsOf(
  config: BakedConfig,
  name: string,
  opts: { restartOnly?: boolean } = {},
): string[] {
  return reverseEdges(config, opts).get(name) ?? [];
}
