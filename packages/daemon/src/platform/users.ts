import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { PlatformError } from './errors.js';

/** The group whose members may talk to the daemon; services never get it unless the config names it. */
export const KEPLER_GROUP_NAME = 'kepler';

const MAX_ID = 4294967294; // (uid_t)-1 means "unchanged" to the kernel

/** Who a process will run as, resolved before anything is spawned. */
export interface ResolvedUser {
  uid: number;
  /** Primary (real and effective) gid: the `group` override, else the gid of `uid:gid`, else the passwd gid. */
  gid: number;
  /** Login name; the uid as a string when a `uid:gid` has no passwd entry. */
  name: string;
  /** From passwd; `/` when there is no passwd entry. */
  home: string;
  /** From passwd; `/bin/sh` when there is no passwd entry. */
  shell: string;
  /**
   * Supplementary groups, as initgroups(name, passwd gid) would set them: the passwd gid plus every
   * /etc/group entry listing the user. The `kepler` group is removed unless it is the primary group
   * (the config asked for it). Empty when there is no passwd entry. Groups that only NSS sources other
   * than /etc/group know (LDAP) are not seen.
   */
  groups: number[];
}

interface PosixPasswd {
  name: string;
  uid: number;
  gid: number;
  dir: string;
  shell: string;
}
interface PosixGroup {
  name: string;
  gid: number;
  members: string[];
}
interface PosixModule {
  getpwnam(user: string | number): PosixPasswd;
  getgrnam(group: string | number): PosixGroup;
}

// Required with this module, at daemon start-up: a require once services run could resolve the addon
// wrongly (nodejs/node#51142, see startupImports.test.ts). A missing addon fails on first use, not on
// import, so importing the platform layer never fails.
let posixModule: PosixModule | null = null;
let posixError: unknown = null;
try {
  posixModule = createRequire(import.meta.url)('posix') as PosixModule;
} catch (e) {
  posixError = e;
}
function posix(): PosixModule {
  if (!posixModule) throw posixError;
  return posixModule;
}

function lookupPasswd(user: string | number): PosixPasswd | null {
  try {
    return posix().getpwnam(user);
  } catch {
    return null; // posix throws "user id does not exist" for a miss
  }
}

function lookupGroup(group: string | number): PosixGroup | null {
  try {
    return posix().getgrnam(group);
  } catch {
    return null;
  }
}

function parseId(text: string): number | null {
  if (!/^\d+$/.test(text)) return null;
  const n = Number(text);
  return n <= MAX_ID ? n : null;
}

/** A group name or gid -> gid. A numeric gid needs no /etc/group entry (as in docker's `--user`). */
function resolveGroupId(group: string): number {
  const numeric = parseId(group);
  if (numeric !== null) return numeric;
  if (/^\d+$/.test(group)) throw new PlatformError('UNKNOWN_GROUP', `invalid gid: ${group}`);
  const entry = lookupGroup(group);
  if (entry === null) throw new PlatformError('UNKNOWN_GROUP', `unknown group: ${group}`);
  return entry.gid;
}

/** initgroups(3) semantics over /etc/group: the base gid first, then each group listing `name`. */
function supplementaryGroups(name: string, baseGid: number): number[] {
  const groups = [baseGid];
  let text = '';
  try {
    text = readFileSync('/etc/group', 'utf8');
  } catch {
    return groups;
  }
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#') || line.startsWith('+') || line.startsWith('-')) continue;
    const [, , gidText, members] = line.split(':');
    if (gidText === undefined || members === undefined) continue;
    const gid = parseId(gidText);
    if (gid === null || groups.includes(gid)) continue;
    if (members.split(',').some((m) => m.trim() === name)) groups.push(gid);
  }
  return groups;
}

/**
 * Resolves `user` (`name`, `uid`, `uid:gid`, also `name:group`) and an optional primary `group`
 * override (name or gid; it wins over the gid in `uid:gid`). A null user means the daemon's own user.
 * A name must exist (PlatformError UNKNOWN_USER / UNKNOWN_GROUP); a bare uid must have a passwd entry
 * (its gid comes from there), while `uid:gid` may name ids without entries. A daemon that is not
 * root (a per-user daemon) cannot switch: another uid or gid than its own is refused
 * (USER_NOT_ALLOWED, naming the key, see foreignIdentity).
 */
export function resolveUser(user: string | null, group: string | null): ResolvedUser {
  let uid: number;
  let gid: number;
  let pw: PosixPasswd | null;
  if (user === null) {
    uid = process.getuid?.() ?? 0;
    pw = lookupPasswd(uid);
    gid = process.getgid?.() ?? pw?.gid ?? 0; // the daemon's own gid, not passwd's: nothing to switch
  } else {
    const m = /^([^:]+)(?::([^:]+))?$/.exec(user.trim());
    if (m === null || m[1] === undefined) {
      throw new PlatformError('UNKNOWN_USER', `invalid user "${user}": expected a name, a uid or uid:gid`);
    }
    const userPart = m[1];
    const groupPart = m[2];
    const numericUid = parseId(userPart);
    if (numericUid !== null) {
      uid = numericUid;
      pw = lookupPasswd(uid);
      if (pw === null && groupPart === undefined) {
        throw new PlatformError(
          'UNKNOWN_USER',
          `unknown uid: ${uid} (no passwd entry; write "${uid}:<gid>" to run as a uid without one)`,
        );
      }
    } else {
      if (/^\d+$/.test(userPart)) throw new PlatformError('UNKNOWN_USER', `invalid uid: ${userPart}`);
      pw = lookupPasswd(userPart);
      if (pw === null) throw new PlatformError('UNKNOWN_USER', `unknown user: ${userPart}`);
      uid = pw.uid;
    }
    gid = groupPart !== undefined ? resolveGroupId(groupPart) : (pw?.gid ?? 0);
  }
  if (group !== null) gid = resolveGroupId(group.trim());

  const refusal = foreignIdentity({ uid, gid }, user, group, ownIds());
  if (refusal !== null) throw new PlatformError('USER_NOT_ALLOWED', refusal);

  let groups = pw === null ? [] : supplementaryGroups(pw.name, pw.gid);
  const kepler = lookupGroup(KEPLER_GROUP_NAME);
  if (kepler !== null && kepler.gid !== gid) groups = groups.filter((g) => g !== kepler.gid);

  return {
    uid,
    gid,
    name: pw?.name ?? String(uid),
    home: pw?.dir || '/',
    shell: pw?.shell || '/bin/sh',
    groups,
  };
}

/** The gid of a group by name (NSS lookup), or null when there is no such group. */
export function groupIdByName(name: string): number | null {
  return lookupGroup(name)?.gid ?? null;
}

/** The daemon's own uid, gid and login name. */
interface OwnIds {
  readonly uid: number;
  readonly gid: number;
  readonly name: string;
}

function ownIds(): OwnIds {
  const uid = process.getuid?.() ?? 0;
  return { uid, gid: process.getgid?.() ?? 0, name: lookupPasswd(uid)?.name ?? String(uid) };
}

/**
 * For a daemon that is not root: why it cannot run a process as `target`, naming the config key
 * (`user: root: ...` or `group: adm: ...`), or null when the target is the daemon's own uid and gid.
 * Root may switch to anyone: always null.
 */
export function foreignIdentity(
  target: { readonly uid: number; readonly gid: number },
  user: string | null,
  group: string | null,
  own: OwnIds,
): string | null {
  if (own.uid === 0) return null;
  if (target.uid !== own.uid) {
    return `user: ${user}: a per-user daemon runs services only as its own user (${own.name})`;
  }
  if (target.gid === own.gid) return null;
  const why = `a per-user daemon runs services only with its own group (gid ${own.gid})`;
  return group !== null ? `group: ${group}: ${why}` : `user: ${user}: ${why}`;
}
