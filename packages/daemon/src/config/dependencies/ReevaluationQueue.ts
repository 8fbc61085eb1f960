import type { BakedConfig } from '@kepler/config';
import { reverseEdges, sourceIndex } from './dependencies.js';

/**
 * Which waiting services to re-evaluate after status changes. A change can only affect the service
 * itself and its direct dependents (an edge's verdict reads the dependency's state only), so those
 * are collected, across the changes of one burst, and evaluated once in a microtask, in source order.
 * Evaluating every service after every change cost a config of n services n x n checks to start.
 */
export class ReevaluationQueue {
  private readonly pending = new Set<string>();
  private scheduled = false;
  /** The burst evaluates every service (a flag, not n names per change). */
  private everyone = false;
  private indexed: BakedConfig | null = null;
  private position = new Map<string, number>();
  private dependentsOf = new Map<string, string[]>();
  private restartDependentsOf = new Map<string, string[]>();

  constructor(
    private readonly config: () => BakedConfig,
    private readonly evaluate: (names: readonly string[]) => void,
  ) {}

  /**
   * `name` changed status: it and its dependents are evaluated once the current burst settles; with
   * `everyone` (a config with priorities, where any service may hold others back), every service.
   */
  changed(name: string, everyone = false): void {
    this.index();
    this.pending.add(name);
    for (const d of this.dependentsOf.get(name) ?? []) this.pending.add(d);
    if (everyone) this.everyone = true;
    if (this.scheduled) return;
    this.scheduled = true;
    // Let the transition finish (and other services settle) before re-evaluating.
    queueMicrotask(() => {
      this.scheduled = false;
      const names = this.everyone ? [...(this.indexed?.serviceOrder ?? [])] : [...this.pending];
      this.everyone = false;
      this.pending.clear();
      names.sort((a, b) => (this.position.get(a) ?? 0) - (this.position.get(b) ?? 0));
      this.evaluate(names);
    });
  }

  /** Direct dependents of `name` in source order; with `restartOnly`, only through `restart: true` edges. */
  dependents(name: string, restartOnly = false): readonly string[] {
    this.index();
    return (restartOnly ? this.restartDependentsOf : this.dependentsOf).get(name) ?? [];
  }

  /** Rebuilt when the config is replaced (recreate). */
  private index(): void {
    const config = this.config();
    if (this.indexed === config) return;
    this.indexed = config;
    this.position = sourceIndex(config);
    this.dependentsOf = reverseEdges(config);
    this.restartDependentsOf = reverseEdges(config, { restartOnly: true });
  }
}
