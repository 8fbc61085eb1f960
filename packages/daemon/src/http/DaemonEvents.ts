import type { HealthResult, StreamEvent } from '@kepler/protocol';
import type { ConfigActor } from '../config/ConfigActor.js';
import type { ConfigRegistry } from '../config/ConfigRegistry.js';

/** A health check that finished (not a protocol event: the configs report these apart). */
export interface HealthCheckedEvent extends HealthResult {
  readonly type: 'healthChecked';
  readonly service: string;
  /** Failed checks in a row, this one included. */
  readonly failures: number;
}

/** What the event stream carries: a config's protocol events, and its health checks' results. */
export type DaemonEvent = StreamEvent | HealthCheckedEvent;

/** Receives one config's event: its canonical path and the event. */
export type DaemonEventListener = (config: string, event: DaemonEvent) => void;

/**
 * Every config's event stream as one, for `/api/v1/events`: the configs loaded now and those loaded
 * later, their status changes and progress (hooks) and each health check's result. Listeners are
 * attached only while someone subscribes: an unwatched daemon pays nothing.
 */
export class DaemonEvents {
  constructor(private readonly registry: ConfigRegistry) {}

  subscribe(listener: DaemonEventListener): () => void {
    const offs: Array<() => void> = [];
    const watch = (actor: ConfigActor) => {
      const path = actor.path;
      offs.push(actor.subscribe((event) => listener(path, event)));
      offs.push(
        actor.subscribeHealth((service, r) => listener(path, { type: 'healthChecked', service, ...r })),
      );
    };
    offs.push(this.registry.onLoad(watch));
    for (const actor of this.registry.list()) watch(actor);
    return () => {
      for (const off of offs) off();
      offs.length = 0;
    };
  }
}
