import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  isRoot,
  makeTmpDir,
  Reaper,
  readAll,
  SPAWN_PATHS,
  type SpawnPath,
  spawnWith,
  spec,
  TEST_PATH,
  uniqueName,
} from './__tests__/helpers.js';
import { PlatformError } from './errors.js';
import { foreignIdentity, groupIdByName, KEPLER_GROUP_NAME, resolveUser } from './users.js';

const reaper = new Reaper();
let current: SpawnPath = 'exec chain';
afterEach(() => reaper.killAll());

/** shadow-utils lock /etc/passwd; other test files may be creating users at the same time. */
function admin(cmd: string, args: string[]): void {
  for (let attempt = 0; ; attempt++) {
    try {
      execFileSync(cmd, args, { stdio: 'pipe' });
      return;
    } catch (err) {
      if (attempt >= 20) throw err;
      execFileSync('sleep', ['0.1']); // setup retry only, not synchronisation of the code under test
    }
  }
}

function gidOf(name: string): number {
  return Number(execFileSync('getent', ['group', name], { encoding: 'utf8' }).split(':')[2]);
}

async function run(command: string[], extra: Partial<Parameters<typeof spec>[0]> = {}) {
  const proc = await spawnWith(current, spec({ command, ...extra }));
  reaper.add(proc.pid);
  const [stdout, stderr, exit] = await Promise.all([readAll(proc.stdout), readAll(proc.stderr), proc.exited]);
  if (exit.code !== 0) throw new Error(`${command.join(' ')} failed: ${stderr.toString()}`);
  return stdout.toString();
}

/** `id -u`, `id -g`, sorted `id -G` of a process started with the given user and group. */
async function idOf(user: string | null, group: string | null = null) {
  const out = await run(['sh', '-c', 'id -u; id -g; id -G'], { user, group });
  const [uid, gid, groups] = out.trim().split('\n');
  return {
    uid: Number(uid),
    gid: Number(gid),
    groups: (groups ?? '')
      .split(' ')
      .map(Number)
      .sort((a, b) => a - b),
  };
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);

describe('resolveUser (no privileges needed)', () => {
  test('null is the daemon user', () => {
    const me = resolveUser(null, null);
    expect(me.uid).toBe(process.getuid?.());
    expect(me.gid).toBe(process.getgid?.());
    expect(me.groups).toContain(me.gid);
  });

  test('unknown names fail with UNKNOWN_USER / UNKNOWN_GROUP', () => {
    expect(() => resolveUser('kt_nobody_here', null)).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_USER', message: 'unknown user: kt_nobody_here' }),
    );
    expect(() => resolveUser('root', 'kt_nogroup_here')).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_GROUP', message: 'unknown group: kt_nogroup_here' }),
    );
    expect(() => resolveUser('root:kt_nogroup_here', null)).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_GROUP' }),
    );
    expect(() => resolveUser('a:b:c', null)).toThrow(expect.objectContaining({ code: 'UNKNOWN_USER' }));
  });

  test('a bare uid needs a passwd entry; uid:gid does not', () => {
    expect(() => resolveUser('4000000000', null)).toThrow(/unknown uid: 4000000000 \(no passwd entry/);
    expect(resolveUser('4000000000:4000000001', null)).toEqual({
      uid: 4000000000,
      gid: 4000000001,
      name: '4000000000',
      home: '/',
      shell: '/bin/sh',
      groups: [],
    });
  });

  test('groupIdByName', () => {
    expect(groupIdByName('root')).toBe(0);
    expect(groupIdByName('kt_nogroup_here')).toBeNull();
  });

  test('numeric and named forms agree', () => {
    const byName = resolveUser('root', null);
    expect(resolveUser('0', null)).toEqual(byName);
    expect(resolveUser('0:0', null)).toEqual(byName);
    expect(resolveUser('root', '0')).toEqual(byName);
    expect(byName).toMatchObject({ uid: 0, gid: 0, name: 'root' });
  });
});

if (!isRoot) console.warn('not root: privilege-dropping tests skipped');

const privilegedEach = isRoot ? describe.each(SPAWN_PATHS) : describe.skip.each(SPAWN_PATHS);
privilegedEach('privilege dropping (root) through the %s', (path) => {
  beforeAll(() => {
    current = path;
  });

  const user = uniqueName();
  const primary = `${user}p`;
  const extra = `${user}x`;
  let uid = 0;
  let primaryGid = 0;
  let extraGid = 0;
  let keplerGid = 0;
  let createdKepler = false;

  beforeAll(() => {
    admin('groupadd', [primary]);
    admin('groupadd', [extra]);
    try {
      execFileSync('getent', ['group', KEPLER_GROUP_NAME], { stdio: 'ignore' });
    } catch {
      admin('groupadd', ['-f', KEPLER_GROUP_NAME]);
      createdKepler = true;
    }
    // A member of `kepler` too: the service must still not get it (the config did not ask).
    admin('useradd', [
      '-M',
      '-d',
      `/home/${user}`,
      '-s',
      '/bin/sh',
      '-g',
      primary,
      '-G',
      `${extra},${KEPLER_GROUP_NAME}`,
      user,
    ]);
    uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }));
    primaryGid = gidOf(primary);
    extraGid = gidOf(extra);
    keplerGid = gidOf(KEPLER_GROUP_NAME);
  });

  afterAll(() => {
    admin('userdel', [user]);
    admin('groupdel', [primary]);
    admin('groupdel', [extra]);
    if (createdKepler) admin('groupdel', [KEPLER_GROUP_NAME]);
  });

  test('by name: uid, gid and the supplementary groups from /etc/group, without kepler', async () => {
    expect(execFileSync('id', ['-G', user], { encoding: 'utf8' })).toContain(String(keplerGid)); // the premise
    const id = await idOf(user);
    expect(id).toEqual({ uid, gid: primaryGid, groups: sorted([primaryGid, extraGid]) });
  });

  test('by uid', async () => {
    expect(await idOf(String(uid))).toEqual({ uid, gid: primaryGid, groups: sorted([primaryGid, extraGid]) });
  });

  test('by uid:gid', async () => {
    expect(await idOf(`${uid}:${extraGid}`)).toEqual({
      uid,
      gid: extraGid,
      groups: sorted([primaryGid, extraGid]),
    });
  });

  test('uid:gid without passwd entry', async () => {
    const ids = await idOf('4000000000:4000000001');
    expect(ids).toEqual({ uid: 4000000000, gid: 4000000001, groups: [4000000001] });
  });

  test('group override by name wins', async () => {
    expect(await idOf(user, extra)).toEqual({ uid, gid: extraGid, groups: sorted([primaryGid, extraGid]) });
  });

  test('kepler is passed on only when the config asks for it as the group', async () => {
    const id = await idOf(user, KEPLER_GROUP_NAME);
    expect(id.gid).toBe(keplerGid);
    expect(id.groups).toContain(keplerGid);
  });

  test("the daemon's own supplementary groups never reach a service", async () => {
    const saved = process.getgroups?.() ?? [];
    process.setgroups?.([0, keplerGid, extraGid]);
    try {
      expect(await idOf(null)).toEqual({ uid: 0, gid: 0, groups: sorted(resolveUser(null, null).groups) });
      expect((await idOf(null)).groups).not.toContain(keplerGid);
      expect((await idOf(user)).groups).not.toContain(keplerGid);
    } finally {
      process.setgroups?.(saved);
    }
  });

  test('HOME, USER, LOGNAME and SHELL come from the target user', async () => {
    const out = await run(['sh', '-c', 'echo "$HOME|$USER|$LOGNAME|$SHELL"'], {
      user,
      env: { PATH: TEST_PATH },
    });
    expect(out).toBe(`/home/${user}|${user}|${user}|/bin/sh\n`);
  });

  test('capabilities are gone', async () => {
    const out = await run(['grep', '^CapEff', '/proc/self/status'], { user });
    expect(out).toMatch(/^CapEff:\s+0+\n$/);
  });

  test('limits apply to the user service and its children', async () => {
    const limits = { memoryBytes: 1024 * 1024 * 1024, cpuTimeSec: 11, maxFds: 99 };
    const out = await run(
      ['sh', '-c', 'id -u; cat /proc/self/limits; echo ---; sh -c "cat /proc/self/limits"'],
      {
        user,
        limits,
      },
    );
    expect(out.split('\n')[0]).toBe(String(uid));
    const [own, child] = out.split('---\n');
    for (const text of [own ?? '', child ?? '']) {
      expect(text).toMatch(/Max cpu time\s+11\s+11\s+seconds/);
      expect(text).toMatch(/Max open files\s+99\s+99\s+files/);
      expect(text).toMatch(/Max address space\s+1073741824\s+1073741824\s+bytes/);
    }
  });

  test('unknown user or group fails the spawn before anything runs', async () => {
    const marker = join(makeTmpDir(), 'ran');
    const command = ['sh', '-c', `touch ${marker}`];
    for (const [u, g, message] of [
      ['kt_nobody_here', null, 'unknown user: kt_nobody_here'],
      [user, 'kt_nogroup_here', 'unknown group: kt_nogroup_here'],
    ] as const) {
      const err = await spawnWith(current, spec({ command, user: u, group: g })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PlatformError);
      expect(err).toMatchObject({ code: 'SPAWN_FAILED', message });
    }
    expect(() => readFileSync(marker)).toThrow();
  });

  test('a command the target user cannot execute fails before anything runs', async () => {
    const dir = makeTmpDir();
    writeFileSync(join(dir, 'root-only'), '#!/bin/sh\necho ran\n');
    chmodSync(join(dir, 'root-only'), 0o700);
    const err = await spawnWith(current, spec({ command: [join(dir, 'root-only')], user })).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'SPAWN_FAILED' });
    expect((err as Error).message).toMatch(
      new RegExp(`^permission denied: .*root-only is not executable by ${user}$`),
    );
  });

  test('a working_dir the target user cannot enter fails before anything runs', async () => {
    const closed = makeTmpDir();
    chmodSync(closed, 0o700);
    const inner = join(closed, 'open');
    mkdirSync(inner);
    chmodSync(inner, 0o755);
    const marker = join(makeTmpDir(), 'ran');
    for (const cwd of [closed, inner]) {
      const command = ['sh', '-c', `touch ${marker}`];
      const err = await spawnWith(current, spec({ command, user, cwd })).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'SPAWN_FAILED' });
      expect((err as Error).message).toBe(
        `working_dir is not accessible to ${user}: ${cwd} (permission denied)`,
      );
    }
    expect(() => readFileSync(marker)).toThrow();
  });
});

describe('foreignIdentity (what a per-user daemon refuses)', () => {
  const bob = { uid: 1001, gid: 1001, name: 'bob' };

  it('lets root switch to anyone', () => {
    expect(foreignIdentity({ uid: 5, gid: 6 }, '5:6', null, { uid: 0, gid: 0, name: 'root' })).toBeNull();
  });

  it("accepts the daemon's own uid and gid, however they are written", () => {
    expect(foreignIdentity({ uid: 1001, gid: 1001 }, 'bob', null, bob)).toBeNull();
    expect(foreignIdentity({ uid: 1001, gid: 1001 }, null, 'bob', bob)).toBeNull();
  });

  it('names the key of another user or group', () => {
    expect(foreignIdentity({ uid: 0, gid: 0 }, 'root', null, bob)).toBe(
      'user: root: a per-user daemon runs services only as its own user (bob)',
    );
    expect(foreignIdentity({ uid: 1001, gid: 4 }, null, 'adm', bob)).toBe(
      'group: adm: a per-user daemon runs services only with its own group (gid 1001)',
    );
    expect(foreignIdentity({ uid: 1001, gid: 4 }, '1001:4', null, bob)).toMatch(/^user: 1001:4: /);
  });
});
