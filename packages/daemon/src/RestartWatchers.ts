import type { FileWatcher, FileWatcherOptions } from './FileWatcher.js';

let fileWatcherModule: typeof import('./FileWatcher.js') | null = null;

/**
 * The `restart.watch` file watchers of one config, one per service, kept in step with whether each
 * service should be watched. FileWatcher (chokidar + picomatch, ~5 MB resident) is loaded on first
 * use: most configs watch nothing.
 */
export class RestartWatchers {
  private readonly watchers = new Map<string, FileWatcher>();
  private closed = false;

  /**
   * Watches `name` when `wanted()` gives options, stops watching it when it gives null. Idempotent:
   * called at every status change of the service (and asked again once the module has loaded).
   */
  update(name: string, wanted: () => FileWatcherOptions | null): void {
    if (this.closed) return;
    const existing = this.watchers.get(name);
    const options = wanted();
    if (options && !existing) {
      if (!fileWatcherModule) {
        void import('./FileWatcher.js').then((m) => {
          fileWatcherModule = m;
          this.update(name, wanted);
        });
        return;
      }
      const watcher = new fileWatcherModule.FileWatcher(options);
      this.watchers.set(name, watcher);
      void watcher.start();
    } else if (!options && existing) {
      this.watchers.delete(name);
      void existing.stop();
    }
  }

  /** Stops every watcher; later updates do nothing (the config is closing or removed). */
  close(): void {
    this.closed = true;
    for (const w of this.watchers.values()) void w.stop();
    this.watchers.clear();
  }
}
