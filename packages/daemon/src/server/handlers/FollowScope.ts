import type { BakedConfig } from '@kepler/config';
import type { StreamEvent } from '@kepler/protocol';
import type { StartPlan } from '../../config/ConfigActor.js';
import { withDependencies } from '../../config/dependencies/dependencies.js';

/**
 * What a foreground (`follow` mode) start or restart shows, like `docker compose up NAME`: with
 * services named, the status changes and progress of those services and their dependencies, plus the
 * config's global hooks (log lines are already filtered to the named services by the log follower);
 * without names, everything. The first event is `begun` (what the operation does): events that come
 * earlier are held until it is sent, so a client can print its header before anything else.
 *
 * It does not filter `wait` mode (its progress view lists the startup cluster itself).
 */
export class FollowScope {
  /** null: every service. */
  private readonly followed: ReadonlySet<string> | null;
  private held: StreamEvent[] | null = [];

  constructor(
    baked: BakedConfig,
    private readonly named: readonly string[],
    private readonly emit: (event: StreamEvent) => void,
  ) {
    // Unknown names are left to the operation, which rejects them with the list of services.
    const known = named.filter((n) => n in baked.services);
    this.followed = named.length === 0 ? null : new Set(withDependencies(baked, known));
  }

  /** Forwards `event` if it concerns the followed services (held until `begin`). */
  forward(event: StreamEvent): void {
    if (!this.concerns(event)) return;
    if (this.held) this.held.push(event);
    else this.emit(event);
  }

  /** Sends `begun` (once; later calls do nothing), then what was held. */
  begin(plan: StartPlan): void {
    const held = this.held;
    if (held === null) return;
    this.held = null;
    this.emit({ type: 'begun', started: [...plan.started], alreadyRunning: [...plan.alreadyRunning] });
    for (const event of held) this.emit(event);
  }

  /**
   * The services whose end ends the follow: the named ones among `targets` (a dependency that keeps
   * running after Ctrl+C stopped what was named does not hold the CLI), or all targets without names.
   */
  quiescenceSet(targets: readonly string[]): string[] {
    if (this.named.length === 0) return [...targets];
    const named = new Set(this.named);
    return targets.filter((n) => named.has(n));
  }

  private concerns(event: StreamEvent): boolean {
    if (this.followed === null) return true;
    switch (event.type) {
      case 'serviceStatusChanged':
        return this.followed.has(event.service);
      case 'progress':
        return event.service === 'global' || this.followed.has(event.service);
      default:
        return true;
    }
  }
}
