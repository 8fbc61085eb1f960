import type { UpPlan, UpResult } from '@kepler/protocol';
import type { ConfigRegistry } from '../../config/ConfigRegistry.js';
import type { Handler } from './HandlerTable.js';
import { observe } from './startModes.js';

/**
 * `up`: bakes the file afresh (a bake that fails changes nothing), applies the plan (ConfigActor.up)
 * and starts, in the request's mode like `start`. In wait and follow modes the plan is sent first, as
 * a `plan` event; `dryRun` answers with the plan alone.
 */
export function upHandler(registry: ConfigRegistry): Handler<'up'> {
  return async (req, ctx) => {
    const { actor, next } = await registry.getWithFreshBake(req.config);
    if (req.dryRun) {
      const { plan } = await actor.up(next, req.services, { dryRun: true });
      return { started: [], alreadyRunning: [], deferred: [], services: actor.ps(), plan, dryRun: true };
    }
    let plan: UpPlan = { services: [], kepler: [] };
    const onPlan = (p: UpPlan) => {
      plan = p;
      if (req.mode !== 'detach') ctx.emit({ type: 'plan', plan: p });
    };
    const result = await observe(
      actor,
      req,
      ctx,
      async (onPlanned) => actor.up(next, req.services, { onPlan, onPlanned }),
      { baked: next },
    );
    const answer: UpResult = { ...result, plan, dryRun: false };
    return answer;
  };
}
