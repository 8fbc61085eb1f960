import type { BakedService } from '@kepler/config';
import { linuxPlatform, type Platform, PlatformError } from '../platform/index.js';

/**
 * Resolves the user and group of the service and of each of its hooks (a hook's own `user` wins):
 * the first that names an unknown user or group, as a one-line reason, or null when all resolve.
 * Does not check that the daemon may switch to them (spawnService does).
 */
export function unresolvableUser(
  spec: Pick<BakedService, 'user' | 'group' | 'hooks'>,
  resolveUser: Platform['resolveUser'] = linuxPlatform.resolveUser,
): string | null {
  const targets: Array<[string, string | null, string | null]> = [['', spec.user, spec.group]];
  for (const [name, hook] of Object.entries(spec.hooks)) {
    if (hook) targets.push([`${name} hook: `, hook.user, hook.group]);
  }
  for (const [prefix, user, group] of targets) {
    if (user === null && group === null) continue;
    try {
      resolveUser(user, group);
    } catch (e) {
      if (e instanceof PlatformError) return `${prefix}${e.message}`;
      throw e;
    }
  }
  return null;
}
