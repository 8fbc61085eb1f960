import type { BakedConfig } from '@kepler/config';
import { type DependencyEdge, isTerminal, PENDING_OR_ACTIVE_STATUSES } from '@kepler/protocol';
import { formatMs } from '../../formatMs.js';
import type { ServiceRuntime } from '../../service/ServiceRuntime.js';
import { type DepView, evaluateEdge } from './dependencies.js';
import { ReevaluationQueue } from './ReevaluationQueue.js';

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

  constructor(private readonly ctx: GateContext) {
    this.reevaluation = new ReevaluationQueue(ctx.baked, (names) => this.evaluate(names));
  }

  /** A service changed status: its dependency timeouts end unless it waits, and it and its dependents are re-evaluated. */
  changed(name: string, status: string): void {
    if (status !== 'waiting') this.clearTimers(name);
    this.reevaluation.changed(name);
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
          rt.failWaiting(`timed out after ${formatMs(edge.timeoutMs!)} ${v.reason || `waiting for ${dep}`}`);
        }, edge.timeoutMs),
      );
    }
    if (timers.length) this.timers.set(rt.name, timers);
  }

  /** Launches the waiting services (of `names`) whose dependencies are satisfied; fails those that never can be. */
  evaluate(names: readonly string[] = this.ctx.baked().serviceOrder): void {
    if (!this.ctx.live()) return;
    for (const name of names) {
      const rt = this.ctx.service(name);
      if (rt === undefined || rt.state.status !== 'waiting' || rt.desired !== 'run') continue;
      let ready = true;
      let pendingReason: string | null = null;
      for (const [dep, edge] of Object.entries(rt.spec.dependsOn)) {
        const verdict = evaluateEdge(dep, edge, this.view(dep));
        if (verdict.verdict === 'impossible') {
          rt.failWaiting(`dependency not satisfied: ${verdict.reason}`);
          ready = false;
          break;
        }
        if (verdict.verdict === 'pending') {
          ready = false;
          pendingReason ??= verdict.reason;
        }
      }
      if (rt.state.status !== 'waiting') continue;
      if (ready) {
        this.clearTimers(rt.name);
        void rt.launch();
      } else if (pendingReason && rt.state.reason !== pendingReason) {
        rt.noteWaitingReason(pendingReason);
        this.ctx.progress(rt.name, pendingReason);
      }
    }
  }

  /** `name` is about to restart (crash, user, watch): dependents with `restart: true` stop and wait for it again. */
  propagateRestart(name: string): void {
    for (const dependent of this.reevaluation.dependents(name, true)) {
      if (this.restartingTogether?.has(dependent)) continue; // restarted by the same command anyway
      const rt = this.ctx.service(dependent)!;
      if (rt.desired !== 'run' || isTerminal(rt.state.status)) continue;
      this.ctx.progress(dependent, `restarting because ${name} restarts`);
      const cause = { kind: 'dependency' as const, detail: `${name} restarts` };
      void rt.stop({ manual: false, afterwards: 'waiting', cause }).then(() => {
        this.armTimers(rt);
        this.evaluate([dependent]);
      });
    }
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
    for (const timers of this.timers.values()) for (const t of timers) clearTimeout(t);
    this.timers.clear();
  }

  private clearTimers(name: string): void {
    for (const t of this.timers.get(name) ?? []) clearTimeout(t);
    this.timers.delete(name);
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
