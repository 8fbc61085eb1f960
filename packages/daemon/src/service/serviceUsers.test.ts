import type { BakedHook } from '@kepler/config';
import { unresolvableUser } from './serviceUsers.js';

const MISSING = 'kepler_no_such_user_x9';

function hook(user: string | null, group: string | null = null): BakedHook {
  return { user, group } as unknown as BakedHook;
}

describe('unresolvableUser', () => {
  test('null when the service and its hooks name existing users (or none)', () => {
    expect(unresolvableUser({ user: null, group: null, hooks: {} })).toBeNull();
    expect(unresolvableUser({ user: 'root', group: 'root', hooks: { pre_start: hook('0') } })).toBeNull();
  });

  test("the service's unknown user or group, as the resolver words it", () => {
    expect(unresolvableUser({ user: MISSING, group: null, hooks: {} })).toBe(`unknown user: ${MISSING}`);
    expect(unresolvableUser({ user: 'root', group: MISSING, hooks: {} })).toBe(`unknown group: ${MISSING}`);
  });

  test("a hook's own unknown user is named with the hook", () => {
    const spec = { user: 'root', group: null, hooks: { pre_start: hook(null), pre_stop: hook(MISSING) } };
    expect(unresolvableUser(spec)).toBe(`pre_stop hook: unknown user: ${MISSING}`);
  });
});
