import type { ConfigRegistry } from '../../config/ConfigRegistry.js';
import type { Handler } from './HandlerTable.js';

/**
 * `down`: stops every service of the config (as `stop`) and forgets its snapshot, so the next command
 * bakes the file afresh; `clean` also runs pre_cleanup and removes the state directory (`stop --clean`).
 * Without `clean`, a config the daemon has neither loaded nor a snapshot of is left alone (nothing of it
 * runs; it is not baked); with `clean` it is loaded like `stop --clean` does, so its directory goes too.
 */
export function downHandler(registry: ConfigRegistry): Handler<'down'> {
  return async (req) => {
    const actor = req.clean ? await registry.get(req.config) : await registry.getKnown(req.config);
    if (!actor) return { stopped: [], cleaned: false, forgotten: false };
    const r = await actor.stop([], { clean: req.clean });
    if (req.clean) {
      registry.forget(actor);
      await actor.remove();
    } else {
      // Forgotten by the registry only once the actor is closed: a command meanwhile fails and says to
      // run it again, instead of loading a second actor on the same directory.
      await actor.forgetSnapshot();
      registry.forget(actor);
    }
    return { stopped: r.stopped, cleaned: r.cleaned, forgotten: true };
  };
}
