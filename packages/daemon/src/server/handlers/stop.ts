import type { ConfigRegistry } from '../../config/ConfigRegistry.js';
import type { Handler } from './HandlerTable.js';

/** `stop`: stops the named services (or all); `--clean` without names also removes the config's state. */
export function stopHandler(registry: ConfigRegistry): Handler<'stop'> {
  return async (req) => {
    const actor = await registry.get(req.config);
    const r = await actor.stop(req.services, { signal: req.signal, clean: req.clean });
    if (req.clean && req.services.length === 0) {
      registry.forget(actor);
      await actor.remove();
    }
    return r;
  };
}
