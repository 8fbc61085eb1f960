import type { StreamEvent } from '@kepler/protocol';
import type { ConfigActor } from '../config/ConfigActor.js';
import type { ConfigRegistry } from '../config/ConfigRegistry.js';

/** Receives one config's event: its canonical path and the event (status change, progress of hooks). */
export type DaemonEventListener = (config: string, event: StreamEvent) => void;

/**
 * Every config's event stream as one, for `/api/v1/events`: the configs loaded now and those loaded
 * later. Listeners are attached only while someone subscribes: an unwatched daemon pays nothing.
 */
export class DaemonEvents {
  constructor(private readonly registry: ConfigRegistry) {}

  subscribe(listener: DaemonEventListener): () => void {
    const offs: Array<() => void> = [];
    const watch = (actor: ConfigActor) => {
      const path = actor.path;
      offs.push(actor.subscribe((event) => listener(path, event)));
    };
    offs.push(this.registry.onLoad(watch));
    for (const actor of this.registry.list()) watch(actor);
    return () => {
      for (const off of offs) off();
      offs.length = 0;
    };
  }
}
