import { PlatformError, type ResolvedUser } from '../platform/index.js';

interface FakeUser {
  uid: number;
  gid: number;
  home: string;
}

const ROOT: FakeUser = { uid: 0, gid: 0, home: '/root' };

/** The fake passwd: the daemon runs as root; a few ordinary users. */
export const FAKE_USERS: Readonly<Record<string, FakeUser>> = {
  root: ROOT,
  alice: { uid: 1000, gid: 1000, home: '/home/alice' },
  bob: { uid: 1001, gid: 1001, home: '/home/bob' },
  nobody: { uid: 65534, gid: 65534, home: '/nonexistent' },
};

/** The fake group file. */
export const FAKE_GROUPS: Readonly<Record<string, number>> = {
  root: 0,
  users: 100,
  alice: 1000,
  bob: 1001,
  nogroup: 65534,
};

function groupId(group: string): number {
  if (/^\d+$/.test(group)) return Number(group);
  const gid = FAKE_GROUPS[group];
  if (gid === undefined) throw new PlatformError('UNKNOWN_GROUP', `unknown group: ${group}`);
  return gid;
}

/**
 * resolveUser over the fake tables, with the real one's forms (`name`, `uid`, `uid:gid`,
 * `name:group`) and messages (`unknown user: x`). null is the daemon's user, root.
 */
export function resolveFakeUser(user: string | null, group: string | null): ResolvedUser {
  let name = 'root';
  let entry: FakeUser = ROOT;
  let gidOverride: number | null = null;
  if (user !== null) {
    const [userPart = '', groupPart] = user.trim().split(':');
    if (/^\d+$/.test(userPart)) {
      const found = Object.entries(FAKE_USERS).find(([, u]) => u.uid === Number(userPart));
      if (!found && groupPart === undefined)
        throw new PlatformError('UNKNOWN_USER', `unknown uid: ${userPart}`);
      name = found?.[0] ?? userPart;
      entry = found?.[1] ?? { uid: Number(userPart), gid: 0, home: '/' };
    } else {
      const found = FAKE_USERS[userPart];
      if (!found) throw new PlatformError('UNKNOWN_USER', `unknown user: ${userPart}`);
      name = userPart;
      entry = found;
    }
    if (groupPart !== undefined) gidOverride = groupId(groupPart);
  }
  if (group !== null) gidOverride = groupId(group.trim());
  return {
    uid: entry.uid,
    gid: gidOverride ?? entry.gid,
    name,
    home: entry.home,
    shell: '/bin/sh',
    groups: [entry.gid],
  };
}
