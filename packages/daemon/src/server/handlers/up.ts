import type { ConfigRef, UpPlan, UpResult } from '@kepler/protocol';
import { checkServiceNames } from '../../config/ConfigActor.js';
import type { ConfigRegistry } from '../../config/ConfigRegistry.js';
import { diffSnapshots } from '../../config/snapshotDiff.js';
import type { Handler } from './HandlerTable.js';
import { observe } from './startModes.js';

/**
 * `up`: bakes the file afresh (a bake that fails changes nothing), applies the plan (ConfigActor.up)
 * and starts, in the request's mode like `start`. In wait and follow modes the plan is sent first, as
 * a `plan` event; `dryRun` answers with the plan alone.
 */
export function upHandler(registry: ConfigRegistry): Handler<'up'> {
  return async (req, ctx) => {
    if (req.dryRun) return dryRun(registry, req.config, req.services);
    const { actor, next } = await registry.getWithFreshBake(req.config);
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

/**
 * The plan alone. A config the daemon has neither loaded nor a snapshot of stays unloaded: its plan is
 * the one its first `up` prints (the fresh bake against itself), and it gets no state directory.
 */
async function dryRun(
  registry: ConfigRegistry,
  config: ConfigRef,
  services: readonly string[],
): Promise<UpResult> {
  const { actor, next } = await registry.getKnownWithFreshBake(config);
  const none = { started: [], alreadyRunning: [], deferred: [], dryRun: true };
  if (actor) {
    const { plan } = await actor.up(next, services, { dryRun: true });
    return { ...none, services: actor.ps(), plan };
  }
  checkServiceNames(config.path, next, services);
  return { ...none, services: [], plan: diffSnapshots(next, next) };
}
