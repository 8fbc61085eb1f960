import { type ConfigWarning, parseResult, type ResultOf, type ServiceInfo } from '@kepler/protocol';
import type { ConfigActor } from '../config/ConfigActor.js';

/**
 * The `ps` result for `actors`. Each config's rows are checked with the client's own validator on
 * their own: a config whose rows would not pass (a bug) is left out with a warning naming it and the
 * field, and logged, instead of making the whole `ps --all` fail for every config. Config-level
 * warnings (ConfigActor.warnings) are attached; `warnings` is absent when there are none.
 */
export function psResult(actors: readonly ConfigActor[], log: (line: string) => void): ResultOf['ps'] {
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
  return warnings.length > 0 ? { services, warnings } : { services };
}
