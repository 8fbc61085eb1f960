import { type ConfigWarning, parseResult, type ResultOf, type ServiceInfo } from '@kepler/protocol';
import type { ConfigActor } from '../../config/ConfigActor.js';
import type { ConfigRegistry } from '../../config/ConfigRegistry.js';
import type { DaemonInfo, Handler } from './HandlerTable.js';
import { snapshotNote } from './snapshotNote.js';

/**
 * The `ps` result for `actors`. Each config's rows are checked with the client's own validator on
 * their own: a config whose rows would not pass (a bug) is left out with a warning naming it and the
 * field, and logged, instead of making the whole `ps --all` fail for every config. Config-level
 * warnings (ConfigActor.warnings) are attached; `warnings` is absent when there are none.
 */
export function psResult(
  actors: readonly ConfigActor[],
  log: (line: string) => void,
  /** The request's overlays (`ps` of one config): a snapshot baked with others gets a note. */
  requested?: readonly string[],
): ResultOf['ps'] {
  const services: ServiceInfo[] = [];
  const warnings: ConfigWarning[] = [];
  for (const actor of actors) {
    const rows = actor.ps();
    try {
      parseResult('ps', { services: rows });
      for (const row of rows) services.push(row);
    } catch (e) {
      const why = (e as Error).message;
      log(`internal error: the ps rows of ${actor.path} are invalid, left out: ${why}`);
      warnings.push({ config: actor.path, message: `cannot list its services (internal error): ${why}` });
    }
    for (const message of actor.warnings()) warnings.push({ config: actor.path, message });
  }
  // One stat per file a snapshot was baked from, per config (not per service).
  const snapshots = actors.flatMap((a) => snapshotNote(a, requested) ?? []);
  const stale = snapshots.filter((n) => n.changed.length > 0).map((n) => n.config);
  return {
    services,
    ...(warnings.length > 0 ? { warnings } : {}),
    ...(stale.length > 0 ? { stale } : {}),
    ...(snapshots.length > 0 ? { snapshots } : {}),
  };
}

/** `ps`: the services of one config, or of every loaded config with `--all`. */
export function psHandler(registry: ConfigRegistry, daemon: DaemonInfo): Handler<'ps'> {
  const log = daemon.log ?? (() => undefined);
  return async (req) => {
    if (req.all || !req.config) return psResult(registry.list(), log);
    // Reading never loads: a config the daemon never saw stays unknown (no bake, no state dir).
    const actor = await registry.getLoaded(req.config);
    // Overlays are compared only when named: `ps -f kepler.yaml` is how a stack started with overlays
    // is read (README, Overlays), so that says nothing of them.
    const overlays = req.config.overlays?.length ? req.config.overlays : undefined;
    return actor ? psResult([actor], log, overlays) : { services: [], loaded: false };
  };
}
