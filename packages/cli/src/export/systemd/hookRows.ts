/** The hook rows of the systemd mapping: the hooks systemd has a place for, and those it has not. */
import type { ServiceHookName } from '@kepler/config';
import { execItem, type RowItem, type SystemdRow, type UnitContext, warn } from './unitItems.js';

/** Names whose value differs between two environments (values are never printed: they may be secrets). */
function changedNames(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): string[] {
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...names].filter((name) => a[name] !== b[name]).sort();
}

const ROOT_USERS = new Set(['root', '0', '0:0']);

/** A hook systemd runs as an `Exec*=` line of the unit, with the unit's user, directory and environment. */
function execHookRow(name: ServiceHookName, directive: string, note?: string): SystemdRow {
  const key = `hooks.${name}`;
  return {
    key,
    map: (ctx: UnitContext): RowItem[] => {
      const hook = ctx.service.hooks[name];
      if (hook === undefined) return [];
      const items: RowItem[] = [];
      let prefix = '';
      if (hook.user !== ctx.service.user || hook.group !== ctx.service.group) {
        // `+` runs one command with full privileges: the only other user systemd can give one line.
        if (hook.user !== null && ROOT_USERS.has(hook.user)) prefix = '+';
        else
          items.push(
            warn(
              `${key}.user`,
              `${directive}= runs as the service's user: ${hook.user ?? 'root'} is not kept`,
            ),
          );
      }
      if (hook.workingDir !== ctx.service.workingDir) {
        items.push(
          warn(`${key}.working_dir`, `${directive}= runs in the service's WorkingDirectory=: not kept`),
        );
      }
      const changed = changedNames(hook.environment, ctx.service.environment);
      if (changed.length > 0) {
        items.push(
          warn(
            `${key}.environment`,
            `${directive}= gets the service's environment: ${changed.join(', ')} not kept`,
          ),
        );
      }
      if (note !== undefined) items.push(warn(key, note));
      items.push(execItem(ctx, key, directive, hook.command, hook.workingDir, hook.environment, prefix));
      return items;
    },
  };
}

/** A hook with no place in a unit: a warning when the service has it. */
function missingHookRow(name: ServiceHookName, why: string): SystemdRow {
  const key = `hooks.${name}`;
  return {
    key,
    map: (ctx) => (ctx.service.hooks[name] === undefined ? [] : [warn(key, `${why}: not exported`)]),
  };
}

export const HOOK_ROWS: readonly SystemdRow[] = [
  missingHookRow('on_init', 'no systemd equivalent (it runs once, on the first start only)'),
  execHookRow('pre_start', 'ExecStartPre'),
  execHookRow('post_start', 'ExecStartPost'),
  execHookRow(
    'pre_stop',
    'ExecStop',
    'as ExecStop=, which systemd also runs after the process exits on its own',
  ),
  execHookRow('post_stop', 'ExecStopPost'),
  missingHookRow('pre_restart', 'no systemd equivalent'),
  missingHookRow('post_restart', 'no systemd equivalent'),
  missingHookRow('post_exit', 'no systemd equivalent'),
  missingHookRow('post_healthcheck_success', 'systemd has no health checks'),
  missingHookRow('post_healthcheck_fail', 'systemd has no health checks'),
];
