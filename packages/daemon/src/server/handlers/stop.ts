import type { ConfigRegistry } from '../../config/ConfigRegistry.js';
import { DaemonError } from '../../errors.js';
import { signalName, signalNumber } from '../../platform/index.js';
import type { Handler } from './HandlerTable.js';

/** `stop`: stops the named services (or all); `--clean` without names also removes the config's state. */
export function stopHandler(registry: ConfigRegistry): Handler<'stop'> {
  return async (req) => {
    const signal = req.signal === undefined ? undefined : canonicalSignal(req.signal);
    if (req.clean && req.services.length > 0) {
      // Checked before anything stops: the state directory is the whole config's.
      throw new DaemonError('BAD_REQUEST', "clean: removes the whole config's state; name no services");
    }
    const actor = await registry.get(req.config);
    const r = await actor.stop(req.services, { signal, clean: req.clean });
    if (req.clean && req.services.length === 0) {
      registry.forget(actor);
      await actor.remove();
    }
    return r;
  };
}

/**
 * `TERM`, `9` or `SIGKILL` as the name the process layer sends. Checked before anything stops: an
 * unknown one (the CLI checks its flag, an HTTP or socket client may not) would leave each service
 * `stopping` with its process still running.
 */
function canonicalSignal(text: string): string {
  try {
    return signalName(signalNumber(text));
  } catch (e) {
    throw new DaemonError('BAD_REQUEST', `signal: ${(e as Error).message}`);
  }
}
