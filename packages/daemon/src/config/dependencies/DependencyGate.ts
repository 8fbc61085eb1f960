import type { BakedConfig } from '@kepler/config';
import {
  type DependencyEdge,
  isActive,
  isTerminal,
  PENDING_OR_ACTIVE_STATUSES,
  type ServiceStatus,
  STARTED_STATUSES,
  type UnmetDependency,
} from '@kepler/protocol';
import { formatMs } from '../../formatMs.js';
import type { ServiceRuntime } from '../../service/ServiceRuntime.js';
import { type DepView, evaluateEdge, startupCluster, stopOrder } from './dependencies.js';
import { effectivePriorities } from './priorities.js';
import { ReevaluationQueue } from './ReevaluationQueue.js';

/** The priority order of one snapshot: effective priorities (null: all equal) and its startup cluster. */
interface PriorityOrder {
  readonly config: BakedConfig;
  readonly effective: ReadonlyMap<string, number> | null;
  readonly cluster: ReadonlySet<string>;
}

/** What the gate needs from its config. */
export interface GateContext {
  baked(): BakedConfig;
  service(name: string): ServiceRuntime | undefined;
  /** False once the config is removed: nothing launches any more. */
  live(): boolean;
  progress(service: string, message: string): void;
}

/**
 * Dependency gating of one config: launches a `waiting` service when every `depends_on` edge is
 * satisfied, fails it when one never can be or its timeout passes, and propagates a restart to the
 * dependents whose edge says `restart: true`. Re-evaluation is driven by status changes
 * (`changed`), one pass per burst over the changed services and their direct dependents.
 */
export class DependencyGate {
  private readonly timers = new Map<string, NodeJS.Timeout[]>();
  private readonly reevaluation: ReevaluationQueue;
  /** Services one restart command is restarting together (no propagation among them). */
  private restartingTogether: ReadonlySet<string> | null = null;
  /** Per waiting service, the soft edges whose timeout passed: it starts without them. */
  private readonly givenUp = new Map<string, Set<string>>();
  private priorityOrder: PriorityOrder | null = null;
  /** Dependencies restarting on purpose whose dependents are stopping first: nothing launches on them yet. */
  private readonly held = new Set<string>();

  constructor(private readonly ctx: GateContext) {
    this.reevaluation = new ReevaluationQueue(ctx.baked, (names) => this.evaluate(names));
  }

  /** A service changed status: its dependency timeouts end unless it waits, and it and its dependents are re-evaluated. */
  changed(name: string, status: ServiceStatus): void {
    if (!STARTED_STATUSES.has(status)) this.held.delete(name); // its restart's stop began
    if (status !== 'waiting') {
      this.clearTimers(name);
      this.givenUp.delete(name);
    }
    // With priorities, a service leaving `starting` may release any waiting one of a higher priority.
    this.reevaluation.changed(name, this.priorities().effective !== null);
  }

  /** Puts a service to waiting on its dependencies, with its dependency timeouts armed. */
  wait(rt: ServiceRuntime, reason: string | null = null): void {
    rt.markWaiting(reason);
    this.armTimers(rt);
  }

  /** Arms the timeouts of a service already waiting (recovered as waiting). */
  armTimers(rt: ServiceRuntime): void {
    this.clearTimers(rt.name);
    const timers: NodeJS.Timeout[] = [];
    for (const [dep, edge] of Object.entries(rt.spec.dependsOn)) {
      if (edge.timeoutMs === null) continue;
      timers.push(
        setTimeout(() => {
          if (rt.state.status !== 'waiting') return;
          const v = evaluateEdge(dep, edge, this.view(dep));
          if (v.verdict === 'satisfied') return;
          const why = `timed out after ${formatMs(edge.timeoutMs!)} ${v.reason || `waiting for ${dep}`}`;
          if (edge.required !== false) return rt.failWaiting(why);
          // A soft edge: the service starts without it.
          const given = this.givenUp.get(rt.name) ?? new Set<string>();
          this.givenUp.set(rt.name, given.add(dep));
          this.evaluate([rt.name]);
        }, edge.timeoutMs),
      );
    }
    if (timers.length) this.timers.set(rt.name, timers);
  }

  /**
   * Launches the waiting services (of `names`) whose dependencies are satisfied and that no service of
   * a lower priority still has to start before; fails those whose hard edges never can be. A soft
   * edge (`required: false`) that never can be, or timed out, is passed over.
   */
  evaluate(names: readonly string[] = this.ctx.baked().serviceOrder): void {
    if (!this.ctx.live()) return;
    let holder: { name: string; priority: number } | null | undefined;
    for (const name of names) {
      const rt = this.ctx.service(name);
      if (rt === undefined || rt.state.status !== 'waiting' || rt.desired !== 'run') continue;
      let ready = true;
      let pendingReason: string | null = null;
      const passedOver: string[] = [];
      for (const [dep, edge] of Object.entries(rt.spec.dependsOn)) {
        if (this.held.has(dep)) {
          ready = false;
          pendingReason ??= `waiting for ${dep} to restart`;
          continue;
        }
        const verdict = evaluateEdge(dep, edge, this.view(dep));
        if (verdict.verdict === 'satisfied') continue;
        if (
          edge.required === false &&
          (verdict.verdict === 'impossible' || this.givenUp.get(name)?.has(dep))
        ) {
          passedOver.push(verdict.reason);
          continue;
        }
        if (verdict.verdict === 'impossible') {
          rt.failWaiting(`dependency not satisfied: ${verdict.reason}`);
          ready = false;
          break;
        }
        ready = false;
        pendingReason ??= verdict.reason;
      }
      if (rt.state.status !== 'waiting') continue;
      if (ready) {
        if (holder === undefined) holder = this.lowestPriorityStarting();
        const mine = this.priorities().effective?.get(name);
        if (holder && mine !== undefined && holder.priority < mine) {
          ready = false;
          pendingReason = `waiting for ${holder.name} (priority ${holder.priority}) to start first`;
        }
      }
      if (ready) {
        this.clearTimers(rt.name);
        for (const reason of passedOver)
          this.ctx.progress(rt.name, `starting without a soft dependency: ${reason}`);
        void rt.launch();
      } else if (pendingReason && rt.state.reason !== pendingReason) {
        rt.noteWaitingReason(pendingReason);
        this.ctx.progress(rt.name, pendingReason);
      }
    }
  }

  /**
   * The soft edges of a service that has been launched whose condition does not hold now (`ps`
   * shows them): `{service: dependency, reason}`.
   */
  unmetSoftEdges(rt: ServiceRuntime): UnmetDependency[] {
    if (!isActive(rt.state.status)) return [];
    const unmet: UnmetDependency[] = [];
    for (const [dep, edge] of Object.entries(rt.spec.dependsOn)) {
      if (edge.required !== false || !this.ctx.service(dep)) continue;
      const verdict = evaluateEdge(dep, edge, this.view(dep));
      if (verdict.verdict !== 'satisfied') unmet.push({ service: dep, reason: verdict.reason });
    }
    return unmet;
  }

  /**
   * The dependents `name`'s restart restarts now: direct ones with `restart: true` that are wanted
   * and not ended, and are not restarted by the same command anyway.
   */
  restartDependents(name: string): string[] {
    return this.reevaluation.dependents(name, true).filter((dependent) => {
      if (this.restartingTogether?.has(dependent)) return false;
      const rt = this.ctx.service(dependent)!;
      return rt.desired === 'run' && !isTerminal(rt.state.status);
    });
  }

  /** What a restart of `names` (together) restarts with them: their `restart: true` dependents, in source order. */
  restartedWith(names: readonly string[]): string[] {
    const together = new Set(names);
    const found = new Set(names.flatMap((n) => this.restartDependents(n)));
    return this.ctx.baked().serviceOrder.filter((n) => found.has(n) && !together.has(n));
  }

  /**
   * `name` is about to restart (crash, user, watch, health): its `restart: true` dependents stop and
   * wait for it again; each restart counts in the dependent's restarts. While `name` still runs (a
   * restart on purpose) they stop first, in stop order, and the promise resolves once all have
   * stopped: the caller stops `name` only then, as docker compose does. Until `name` leaves its started
   * statuses nothing waiting on it launches (it is about to stop). After a crash (`name` is already
   * down) they all stop at once.
   */
  async propagateRestart(name: string): Promise<void> {
    const dependents = this.restartDependents(name);
    const stillRuns = STARTED_STATUSES.has(this.ctx.service(name)!.state.status);
    if (stillRuns) this.held.add(name);
    const stopOne = (dependent: string): Promise<void> => {
      const rt = this.ctx.service(dependent)!;
      this.ctx.progress(dependent, `restarting because ${name} restarts`);
      const cause = { kind: 'dependency' as const, detail: `${name} restarts` };
      return rt.stop({ manual: false, afterwards: 'waiting', cause }).then(
        () => {
          this.armTimers(rt);
          this.evaluate([dependent]);
        },
        // One dependent's failed stop must not fail the restart of its dependency.
        (e: unknown) => this.ctx.progress(dependent, `stop failed: ${(e as Error).message}`),
      );
    };
    if (!stillRuns) {
      await Promise.all(dependents.map(stopOne));
      return;
    }
    for (const dependent of stopOrder(this.ctx.baked(), dependents)) await stopOne(dependent);
  }

  /** Runs `stops` with `names` marked as restarted together, so they do not propagate to each other. */
  async restartTogether(names: readonly string[], stops: () => Promise<void>): Promise<void> {
    this.restartingTogether = new Set(names);
    try {
      await stops();
    } finally {
      this.restartingTogether = null;
    }
  }

  /** Each `depends_on` edge of `name` with its verdict now (for `inspect`). */
  edges(name: string): DependencyEdge[] {
    const rt = this.ctx.service(name);
    if (rt === undefined) return [];
    return Object.entries(rt.spec.dependsOn).map(([dep, edge]) => {
      const known = this.ctx.service(dep) !== undefined;
      const v = known
        ? evaluateEdge(dep, edge, this.view(dep))
        : { verdict: 'impossible' as const, reason: `${dep} is not a service of this config` };
      return { service: dep, condition: edge.condition, ...v, restart: edge.restart };
    });
  }

  close(): void {
    this.held.clear();
    for (const timers of this.timers.values()) for (const t of timers) clearTimeout(t);
    this.timers.clear();
  }

  private clearTimers(name: string): void {
    for (const t of this.timers.get(name) ?? []) clearTimeout(t);
    this.timers.delete(name);
  }

  /** The priority order of the current snapshot (rebuilt when it is replaced). */
  private priorities(): PriorityOrder {
    const config = this.ctx.baked();
    if (this.priorityOrder?.config !== config) {
      const effective = effectivePriorities(config);
      // Only startup-cluster services hold others back: a deferred one may wait for ever.
      this.priorityOrder = { config, effective, cluster: effective ? startupCluster(config) : new Set() };
    }
    return this.priorityOrder;
  }

  /**
   * The wanted startup service of the lowest effective priority that is still to be launched
   * (waiting or starting), or null. One pass over the config per evaluation.
   */
  private lowestPriorityStarting(): { name: string; priority: number } | null {
    const { effective, cluster } = this.priorities();
    if (effective === null) return null;
    let lowest: { name: string; priority: number } | null = null;
    for (const name of cluster) {
      const rt = this.ctx.service(name);
      const s = rt?.state.status;
      if (rt?.desired !== 'run' || (s !== 'waiting' && s !== 'starting')) continue;
      const priority = effective.get(name) ?? 0;
      if (lowest === null || priority < lowest.priority) lowest = { name, priority };
    }
    return lowest;
  }

  /** What an edge's verdict reads of a dependency. */
  private view(name: string): DepView {
    const rt = this.ctx.service(name)!;
    const s = rt.state.status;
    const willRestart = rt.desired === 'run' && (PENDING_OR_ACTIVE_STATUSES.has(s) || s === 'stopped');
    return {
      status: s,
      exitCode: rt.state.exitCode,
      signal: rt.state.signal,
      wasHealthy: rt.state.wasHealthy,
      hasHealthcheck: rt.spec.healthcheck !== null,
      willRestart,
    };
  }
}
