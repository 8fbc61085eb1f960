import type { ConfigRegistry } from '../../config/ConfigRegistry.js';
import type { Handler } from './HandlerTable.js';

/** `recreate`: bakes the config again from its file and the CLI's environment (all services stopped). */
export function recreateHandler(registry: ConfigRegistry): Handler<'recreate'> {
  return async (req) => {
    const actor = await registry.recreate(req.config);
    return { hash: actor.baked.hash, services: [...actor.baked.serviceOrder] };
  };
}
