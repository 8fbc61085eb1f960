import type { BakedConfig } from '@kepler/config';

/**
 * `priority` as the start and stop orders read it (pure). A service's effective priority is the
 * lowest of its own and that of every service depending on it, directly or not: depends_on always
 * wins, so a dependency goes no later than its most urgent dependent, and no wait on priority can
 * close a circle with a wait on a dependency (along any chain of waits the effective priority never
 * rises, and falls at each wait on priority).
 */

/** A service's `priority` (0 in snapshots baked before the key existed). */
function priorityOf(config: BakedConfig, name: string): number {
  return config.services[name]?.priority ?? 0;
}

/**
 * Each service's effective priority, or null when every service has the same priority (no priority
 * order at all: the common case costs nothing). Linear in services + edges: dependents are settled
 * before their dependencies (Kahn's algorithm); services in a cycle, which validation rejects, keep
 * what reached them.
 */
export function effectivePriorities(config: BakedConfig): Map<string, number> | null {
  const order = config.serviceOrder;
  const first = order[0] === undefined ? 0 : priorityOf(config, order[0]);
  if (order.every((n) => priorityOf(config, n) === first)) return null;
  const effective = new Map(order.map((n) => [n, priorityOf(config, n)]));
  const deps = new Map(
    order.map((n) => [
      n,
      [...new Set(Object.keys(config.services[n]?.dependsOn ?? {}))].filter((d) => d in config.services),
    ]),
  );
  const dependentsLeft = new Map<string, number>();
  for (const list of deps.values())
    for (const d of list) dependentsLeft.set(d, (dependentsLeft.get(d) ?? 0) + 1);
  const ready = order.filter((n) => !dependentsLeft.get(n));
  while (ready.length > 0) {
    const n = ready.pop() as string;
    const p = effective.get(n) as number;
    for (const d of deps.get(n) ?? []) {
      if (p < (effective.get(d) as number)) effective.set(d, p);
      const left = (dependentsLeft.get(d) as number) - 1;
      dependentsLeft.set(d, left);
      if (left === 0) ready.push(d);
    }
  }
  return effective;
}

/**
 * Positions for the start and stop orders: by effective priority, then source order (without
 * priorities, the source order itself). `names[i]` is the service at position i.
 */
export function orderPositions(config: BakedConfig): { index: Map<string, number>; names: string[] } {
  const effective = effectivePriorities(config);
  if (effective === null) {
    return { index: new Map(config.serviceOrder.map((n, i) => [n, i])), names: [...config.serviceOrder] };
  }
  const source = new Map(config.serviceOrder.map((n, i) => [n, i]));
  const names = [...config.serviceOrder].sort(
    (a, b) =>
      (effective.get(a) as number) - (effective.get(b) as number) ||
      (source.get(a) as number) - (source.get(b) as number),
  );
  return { index: new Map(names.map((n, i) => [n, i])), names };
}
