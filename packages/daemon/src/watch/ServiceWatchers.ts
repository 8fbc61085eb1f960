import { FileWatcher, type FileWatcherOptions } from './FileWatcher.js';

/**
 * The `restart.watch` file watchers of one config, one per service, kept in step with whether each
 * service should be watched. Each watcher is reported to `log` once armed (its initial scan done),
 * or when it cannot be armed.
 *
 * FileWatcher (chokidar + picomatch, under 1 MB resident) is imported statically, never on first
 * use: see startupImports.test.ts for why the daemon resolves no module after start-up.
 */
export class ServiceWatchers {
  private readonly watchers = new Map<string, FileWatcher>();
  private closed = false;

  /** `log` gets one line per watcher armed or failed (the daemon log). */
  constructor(private readonly log: (line: string) => void = () => undefined) {}

  /**
   * Watches `name` when `wanted()` gives options, stops watching it when it gives null. Idempotent:
   * called at every status change of the service, and for a service adopted after a daemon restart.
   */
  update(name: string, wanted: () => FileWatcherOptions | null): void {
    if (this.closed) return;
    const existing = this.watchers.get(name);
    const options = wanted();
    if (options && !existing) {
      let watcher: FileWatcher;
      let ready: Promise<void>;
      try {
        watcher = new FileWatcher(options);
        ready = watcher.start();
      } catch (e) {
        this.log(`cannot watch files of ${name}: ${(e as Error)?.message ?? String(e)}`);
        return;
      }
      this.watchers.set(name, watcher);
      ready.then(
        () => {
          if (this.watchers.get(name) === watcher) {
            this.log(`watching files of ${name}: ${options.patterns.join(', ')} in ${options.root}`);
          }
        },
        (e: unknown) => {
          if (this.watchers.get(name) === watcher) this.watchers.delete(name);
          this.log(`cannot watch files of ${name}: ${(e as Error)?.message ?? String(e)}`);
        },
      );
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
