/** The hook rows of the Nomad mapping: lifecycle tasks where Nomad has them, warnings elsewhere. */
import type { ServiceHookName } from '@kepler/config';
import { hookTask, type NomadRow } from './groupDraft.js';
import type { NomadTask } from './nomadJob.js';

type Lifecycle = NonNullable<NomadTask['Lifecycle']>['Hook'];

/** A hook Nomad runs as a lifecycle task of the group. */
function taskHookRow(name: ServiceHookName, lifecycle: Lifecycle, note?: string): NomadRow {
  return {
    key: `hooks.${name}`,
    apply: (ctx, draft) => {
      const hook = ctx.service.hooks[name];
      if (hook === undefined) return;
      draft.lifecycle.push(hookTask(ctx, draft, name, hook, lifecycle));
      if (note !== undefined) draft.warn(`hooks.${name}`, note);
    },
  };
}

/** A hook Nomad has no place for: a warning when the service has it. */
function missingHookRow(name: ServiceHookName, why: string): NomadRow {
  return {
    key: `hooks.${name}`,
    apply: (ctx, draft) => {
      if (ctx.service.hooks[name] !== undefined) draft.warn(`hooks.${name}`, `${why}: not exported`);
    },
  };
}

export const HOOK_ROWS: readonly NomadRow[] = [
  missingHookRow('on_init', 'no Nomad equivalent (it runs once, on the first start only)'),
  taskHookRow('pre_start', 'prestart', 'a prestart task runs once per allocation, not before each restart'),
  taskHookRow('post_start', 'poststart', 'a poststart task runs once per allocation, not after each restart'),
  missingHookRow('pre_stop', 'no Nomad equivalent'),
  taskHookRow('post_stop', 'poststop'),
  missingHookRow('pre_restart', 'no Nomad equivalent'),
  missingHookRow('post_restart', 'no Nomad equivalent'),
  missingHookRow('post_exit', 'no Nomad equivalent'),
  missingHookRow('post_healthcheck_success', 'no Nomad equivalent'),
  missingHookRow('post_healthcheck_fail', 'no Nomad equivalent'),
];
