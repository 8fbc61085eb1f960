import { serviceToFileVocabulary } from '@kepler/config';
import type { InspectResult } from '@kepler/protocol';
import type { ConfigRegistry } from '../../config/ConfigRegistry.js';
import { DaemonError } from '../../errors.js';
import type { Handler } from './HandlerTable.js';

/** Log lines `inspect` returns when the request names no count. */
export const INSPECT_DEFAULT_LINES = 20;

/**
 * `inspect`: one service's post-mortem, from its runtime state (status and since when, last exit,
 * last cause, health results, backoff), its baked settings in the config file's vocabulary (as `kepler
 * config` prints the service, its environment whole), its dependency edges judged now, and its last
 * stored log lines. A config the daemon has not loaded is not loaded: CONFIG_NOT_LOADED.
 */
export function inspectHandler(registry: ConfigRegistry): Handler<'inspect'> {
  return async (req): Promise<InspectResult> => {
    const actor = await registry.getLoaded(req.config);
    if (!actor) {
      throw new DaemonError(
        'CONFIG_NOT_LOADED',
        `${req.config.path} is not loaded (\`kepler start -f ${req.config.path}\` loads it)`,
      );
    }
    const rt = actor.services.get(req.service);
    // readLogs names the services when this one is unknown (UNKNOWN_SERVICE).
    const tail = req.lines ?? INSPECT_DEFAULT_LINES;
    const logs = actor.readLogs({ services: [req.service], tail });
    if (rt === undefined) throw new DaemonError('UNKNOWN_SERVICE', `no such service: ${req.service}`);
    const s = rt.state;
    return {
      info: actor.infoOf(rt),
      // The keys and units a user writes (stop_grace_period: 10s), so the CLI and the HTTP API show them as they are.
      settings: serviceToFileVocabulary(rt.spec),
      statusSince: s.statusSince,
      lastExit: s.lastExit,
      lastCause: s.lastCause,
      backoff: rt.backoff(),
      health: s.healthResults,
      dependencies: actor.dependencyEdges(rt.name),
      logs: tail === 0 ? [] : actor.forDisplay(logs),
    };
  };
}
