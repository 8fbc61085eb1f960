import type { HealthResult, StreamEvent } from '@kepler/protocol';
import { watchEvery } from './watchEvery.js';

/** Receives every status change and captured log line of a config (streaming requests subscribe). */
export type ConfigListener = (event: StreamEvent) => void;

/** Receives each finished health check of a config's services. */
export type HealthListener = (service: string, result: HealthResult & { readonly failures: number }) => void;

/**
 * A config's event stream: status changes and progress lines, to every subscribed request; and, apart
 * (they are no protocol event), each health check's result, to whoever watches them.
 */
export class ConfigEvents {
  private readonly listeners = new Set<ConfigListener>();
  private readonly healthListeners = new Set<HealthListener>();

  subscribe(listener: ConfigListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: StreamEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // A listener's failure (a closed client) must not break supervision.
      }
    }
  }

  subscribeHealth(listener: HealthListener): () => void {
    this.healthListeners.add(listener);
    return () => this.healthListeners.delete(listener);
  }

  healthChecked(service: string, result: HealthResult & { readonly failures: number }): void {
    for (const l of this.healthListeners) {
      try {
        l(service, result);
      } catch {
        // As for events: a watcher's failure must not break supervision.
      }
    }
  }

  progress(service: string, message: string): void {
    this.emit({ type: 'progress', service, message });
  }

  /** Resolves when `holds` is true of every named service (see watchEvery), or on abort. */
  untilEvery(names: readonly string[], holds: (name: string) => boolean, abort?: AbortSignal): Promise<void> {
    if (abort?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      let finished = false;
      let cancel: () => void = () => undefined;
      const done = () => {
        finished = true;
        cancel();
        abort?.removeEventListener('abort', done);
        resolve();
      };
      cancel = watchEvery((l) => this.subscribe(l), names, holds, done);
      // Resolving on abort drops the subscription: a cancelled stream must not leak a listener.
      if (!finished) abort?.addEventListener('abort', done, { once: true });
    });
  }
}
