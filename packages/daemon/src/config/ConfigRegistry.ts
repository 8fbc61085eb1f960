import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { BakedConfig } from '@kepler/config';
import type { ConfigRef, ConfigSummary, PruneEntry } from '@kepler/protocol';
import { bakeOffThread, parseYamlOffThread } from '../bake/bakeOffThread.js';
import type { DaemonDir } from '../DaemonDir.js';
import { DaemonError } from '../errors.js';
import { serviceMarker } from '../hooks/HookRunner.js';
import { linuxPlatform, type Platform, sweepEmptyCgroups } from '../platform/index.js';
import { PortBook } from '../ports/index.js';
import { ConfigActor, readSourcePath } from './ConfigActor.js';
import { ConfigDirectory, configIdOf } from './ConfigDirectory.js';

/** What a first load may start from instead of reading the snapshot or baking (see `get`). */
interface LoadSource {
  readonly snapshot?: BakedConfig;
  readonly fresh?: BakedConfig;
}

/**
 * Every config the daemon knows, keyed by canonical path (of the first `-f` file: overlays do not
 * change a config's identity). A config is loaded the first time a command names it (baked from its
 * source and overlays with the CLI's environment) or, after a daemon restart, from its snapshot
 * (`expanded_config.yaml`), which later commands keep using until `recreate`, whatever overlays they
 * name: a different overlay list is like an edited file.
 */
export class ConfigRegistry {
  private readonly actors = new Map<string, ConfigActor>();
  private readonly loading = new Map<string, Promise<ConfigActor>>();
  private readonly loadListeners = new Set<(actor: ConfigActor) => void>();

  constructor(
    private readonly dirs: DaemonDir,
    private readonly log: (line: string) => void,
    private readonly platform: Platform = linuxPlatform,
    /** Ports and host names of every config (the reverse proxy reads its routes). */
    readonly book: PortBook = new PortBook(),
  ) {
    book.describeServiceId = (serviceId) => {
      const dot = serviceId.indexOf('.');
      const configId = serviceId.slice(0, dot);
      const actor = dot > 0 ? this.list().find((a) => a.id === configId) : undefined;
      return actor ? { config: actor.path, service: serviceId.slice(dot + 1) } : null;
    };
  }

  /** Restores every config that has a snapshot, adopting the services that survived. */
  async restoreAll(): Promise<void> {
    let entries: string[] = [];
    try {
      entries = readdirSync(this.dirs.configsDir);
    } catch {
      return;
    }
    // Before any spawn: cgroups of these configs whose processes ended while no daemon ran. A config's
    // service ids start with its id (configIdOf).
    const swept = sweepEmptyCgroups(entries.map((e) => serviceMarker(`${configIdOf(e)}.`)));
    if (swept > 0) this.log(`removed ${swept} empty cgroup${swept === 1 ? '' : 's'} left by earlier runs`);
    for (const entry of entries) {
      const dir = join(this.dirs.configsDir, entry);
      const baked = await readSnapshot(dir);
      if (!baked) continue;
      try {
        const actor = new ConfigActor(baked, dir, this.log, this.platform, this.book);
        this.actors.set(baked.sourcePath, actor);
        this.announce(actor);
        actor.recover();
        actor.untracked.relaunchLeftovers(actor, this.log);
        this.log(`restored ${baked.sourcePath} (${actor.runningCount} running)`);
      } catch (e) {
        this.log(`could not restore ${dir}: ${(e as Error).message}`);
      }
    }
  }

  /**
   * Calls `listener` with each config loaded from now on (before its recovery, so its first status
   * changes reach it): for streams that watch every config (the HTTP API's events).
   */
  onLoad(listener: (actor: ConfigActor) => void): () => void {
    this.loadListeners.add(listener);
    return () => this.loadListeners.delete(listener);
  }

  private announce(actor: ConfigActor): void {
    for (const l of this.loadListeners) l(actor);
  }

  list(): ConfigActor[] {
    return [...this.actors.values()];
  }

  find(path: string): ConfigActor | undefined {
    return this.actors.get(path);
  }

  /**
   * The config's actor if it is loaded (or being loaded), else null: reading commands (`ps`, `logs`)
   * use this, so naming a config never loads it, bakes it or creates its state directory.
   */
  async getLoaded(ref: ConfigRef): Promise<ConfigActor | null> {
    if (!isAbsolute(ref.path))
      throw new DaemonError('BAD_REQUEST', `config path must be absolute: ${ref.path}`);
    const loaded = this.actors.get(ref.path);
    if (loaded) return loaded;
    const pending = this.loading.get(ref.path);
    return pending ? pending.catch(() => null) : null;
  }

  /**
   * The config's actor if it is loaded or has a snapshot (loaded from it), else null: `down` uses
   * this, so it never bakes a file (a broken edit must not stop `down`).
   */
  async getKnown(ref: ConfigRef): Promise<ConfigActor | null> {
    const loaded = await this.getLoaded(ref);
    if (loaded) return loaded;
    const snapshot = await readSnapshot(this.dirs.configDir(ref.path));
    return snapshot ? this.get(ref, { snapshot }) : null;
  }

  /**
   * For `up`: bakes the file afresh (a failure changes nothing) and returns it with the config's actor,
   * which a first use loads from that same bake.
   */
  async getWithFreshBake(ref: ConfigRef): Promise<{ actor: ConfigActor; next: BakedConfig }> {
    if (!isAbsolute(ref.path))
      throw new DaemonError('BAD_REQUEST', `config path must be absolute: ${ref.path}`);
    const next = await bake(ref);
    return { actor: await this.get(ref, { fresh: next }), next };
  }

  /**
   * For `up --dry-run`: bakes the file afresh and returns it with the config's actor when it is loaded
   * or has a snapshot (as `getKnown`); a config with neither stays unloaded (actor null).
   */
  async getKnownWithFreshBake(ref: ConfigRef): Promise<{ actor: ConfigActor | null; next: BakedConfig }> {
    if (!isAbsolute(ref.path))
      throw new DaemonError('BAD_REQUEST', `config path must be absolute: ${ref.path}`);
    const next = await bake(ref);
    return { actor: await this.getKnown(ref), next };
  }

  /**
   * The config's actor, loading it on first use: from `given.snapshot` (already read), else its
   * snapshot on disk, else `given.fresh` (a bake just made), else a bake.
   */
  get(ref: ConfigRef, given: LoadSource = {}): Promise<ConfigActor> {
    if (!isAbsolute(ref.path))
      throw new DaemonError('BAD_REQUEST', `config path must be absolute: ${ref.path}`);
    const loaded = this.actors.get(ref.path);
    if (loaded) return Promise.resolve(loaded);
    let pending = this.loading.get(ref.path);
    if (!pending) {
      pending = this.load(ref, given).finally(() => this.loading.delete(ref.path));
      this.loading.set(ref.path, pending);
    }
    return pending;
  }

  private async load(ref: ConfigRef, given: LoadSource): Promise<ConfigActor> {
    const dir = this.dirs.configDir(ref.path);
    const baked = given.snapshot ?? (await readSnapshot(dir)) ?? given.fresh ?? (await bake(ref));
    // Let other clients in between the bake's arrival and the load, and between the load and the
    // request's own work: for 5,000 services each takes ~0.5 s of the event loop, together over 1 s.
    await yieldToClients();
    const actor = new ConfigActor(baked, dir, this.log, this.platform, this.book);
    this.actors.set(ref.path, actor);
    this.announce(actor);
    actor.recover();
    actor.untracked.relaunchLeftovers(actor, this.log);
    await yieldToClients();
    return actor;
  }

  /**
   * Re-bakes from the source file, the request's overlays and the CLI's current environment (all
   * services must be stopped).
   */
  async recreate(ref: ConfigRef): Promise<ConfigActor> {
    const actor = await this.get(ref);
    const baked = await bake(ref);
    await actor.recreate(baked);
    return actor;
  }

  /** Forgets a config whose state directory was removed (`stop --clean`) or whose snapshot was (`down`). */
  forget(actor: ConfigActor): void {
    this.actors.delete(actor.path);
  }

  summaries(): ConfigSummary[] {
    return this.list().map((a) => ({
      path: a.path,
      hash: a.baked.hash,
      services: a.services.size,
      running: a.runningCount,
    }));
  }

  /**
   * Lists (and unless dryRun removes) state directories of configs with nothing running, or whose
   * source file is gone. `force` also stops the services of configs that still run, then removes them.
   */
  async prune(opts: {
    force?: boolean;
    dryRun?: boolean;
  }): Promise<{ entries: PruneEntry[]; freedBytes: number }> {
    const entries: PruneEntry[] = [];
    let freedBytes = 0;
    let names: string[] = [];
    try {
      names = readdirSync(this.dirs.configsDir);
    } catch {
      names = [];
    }
    for (const name of names) {
      const configDir = join(this.dirs.configsDir, name);
      const path = readSourcePath(configDir) ?? '(unknown)';
      const actor = this.actors.get(path);
      const orphaned = !existsSync(path);
      const busy = actor !== undefined && !actor.isIdle;
      const bytes = diskUsage(configDir);
      let reason = orphaned ? 'orphaned: source file missing' : 'stopped';
      if (busy && !opts.force) {
        entries.push({
          path,
          stateDir: configDir,
          bytes,
          reason: 'running (use --force to stop and prune)',
          removed: false,
        });
        continue;
      }
      if (busy) reason = opts.dryRun ? 'running: would be stopped by --force' : 'running: stopped by --force';
      if (!opts.dryRun) {
        if (actor) {
          if (busy) await actor.stopAll();
          this.actors.delete(path);
          await actor.remove();
        } else {
          new ConfigDirectory(configDir).remove(); // its output files too (not under configs/)
        }
      }
      // A dry run reports what it would free, so its total matches the real prune's.
      freedBytes += bytes;
      entries.push({ path, stateDir: configDir, bytes, reason, removed: !opts.dryRun });
    }
    return { entries, freedBytes };
  }

  /** Stops every service of every config (daemon stop / SIGTERM), keeping their logs. */
  async stopEverything(): Promise<void> {
    await Promise.all(this.list().map((a) => a.stopAll({ shutdown: true }).catch(() => undefined)));
  }

  /** Flushes and closes every config (daemon exit); one config's failure does not skip the others. */
  closeAll(): void {
    for (const a of this.list()) {
      try {
        a.close();
      } catch (e) {
        this.log(`cannot close ${a.path}: ${(e as Error).message}`);
      }
    }
  }
}

function bake(ref: ConfigRef): Promise<BakedConfig> {
  // In a worker thread: a big or hostile config must not stall the other clients (bake/bakeOffThread.ts).
  return bakeOffThread({ path: ref.path, env: { ...ref.env }, overlays: [...(ref.overlays ?? [])] });
}

/** Resolves after pending I/O (a client's request) had its turn of the event loop. */
function yieldToClients(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The persisted snapshot of a config state directory, or null when absent or of another format. */
async function readSnapshot(dir: string): Promise<BakedConfig | null> {
  const file = join(dir, 'expanded_config.yaml');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  try {
    // Written as JSON (a YAML subset, ~100x faster to render and read); earlier snapshots are YAML,
    // parsed by a bake worker (the YAML library stays off the main thread). Kepler never writes
    // aliases: one here is not ours, and is refused before it can expand (an alias bomb in a
    // snapshot would take every restart of the daemon down).
    const data = (
      text.trimStart().startsWith('{') ? JSON.parse(text) : await parseYamlOffThread(text, file)
    ) as BakedConfig | null;
    if (data?.formatVersion !== 1 || typeof data.sourcePath !== 'string') return null;
    return data;
  } catch {
    return null;
  }
}

function diskUsage(path: string): number {
  let total = 0;
  try {
    const st = lstatSync(path);
    if (!st.isDirectory()) return st.size;
    for (const entry of readdirSync(path)) total += diskUsage(join(path, entry));
    return total + st.size;
  } catch {
    return total;
  }
}
