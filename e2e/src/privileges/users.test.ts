/**
 * Privilege dropping through the real daemon: services, hooks and health checks run as the configured
 * user (by name, uid, `uid:gid`, with a `group` override), with that user's supplementary groups from
 * /etc/group, never the `kepler` group unless asked, and the user's HOME/USER/LOGNAME/SHELL. Each
 * process reports what it sees from inside (`id`, `env`) into a world-writable output directory.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createGroup,
  createUser,
  deleteGroup,
  deleteUser,
  ensureCiUsers,
  groupId,
  openUpDirs,
  TestDaemon,
  uniqueName,
  waitFor,
} from '../testkit.js';

/** Generous: two cores shared with other suites. */
const T = 60_000;

const d = new TestDaemon('kepler-e2e-users');
const user = uniqueName();
const hookUser = uniqueName();
const g1 = uniqueName();
const g2 = uniqueName();
let ids: { uid: number; gid: number };
let hookIds: { uid: number; gid: number };
let g1Gid: number;
let g2Gid: number;
let keplerGid: number;
let out: string;

beforeAll(async () => {
  ensureCiUsers();
  keplerGid = groupId('kepler');
  g1Gid = createGroup(g1);
  g2Gid = createGroup(g2);
  ids = createUser(user, [g1, g2, 'kepler']);
  hookIds = createUser(hookUser);
  openUpDirs(d);
  out = join(d.workDir, 'out');
  mkdirSync(out);
  chmodSync(out, 0o1777);
  await d.start();
}, T);

afterAll(async () => {
  await d.cleanup();
  deleteUser(user);
  deleteUser(hookUser);
  deleteGroup(g1);
  deleteGroup(g2);
}, T);

/** `sh -c` that writes `uid gid groups...` and the identity variables to out/<name>. */
function report(name: string): string {
  const file = join(out, name);
  return JSON.stringify([
    'sh',
    '-c',
    `echo "$(id -u) $(id -g) $(id -G)" > ${file}; echo "HOME=$HOME USER=$USER LOGNAME=$LOGNAME SHELL=$SHELL" >> ${file}`,
  ]);
}

interface Seen {
  uid: number;
  gid: number;
  groups: number[];
  env: string;
}

async function seen(name: string): Promise<Seen> {
  const file = join(out, name);
  const text = await waitFor(() => {
    if (!existsSync(file)) return null;
    const t = readFileSync(file, 'utf8');
    return t.split('\n').length >= 3 ? t : null;
  }, `${name} to report its identity`);
  const [idLine = '', env = ''] = text.split('\n');
  const [uid, gid, ...groups] = idLine.split(' ').map(Number);
  return { uid: uid ?? -1, gid: gid ?? -1, groups: groups.sort((a, b) => a - b), env };
}

const sorted = (xs: number[]) => [...new Set(xs)].sort((a, b) => a - b);

describe('services run as the configured user', () => {
  let config: string;
  beforeAll(async () => {
    config = d.writeConfig(
      `services:
  by_name:
    command: ${report('by_name')}
    user: ${user}
  by_uid:
    command: ${report('by_uid')}
    user: "${ids.uid}"
  uid_gid:
    command: ${report('uid_gid')}
    user: "${ids.uid}:${g1Gid}"
  group_override:
    command: ${report('group_override')}
    user: ${user}
    group: ${g2}
  kepler_asked:
    command: ${report('kepler_asked')}
    user: ${user}
    group: kepler
  env_set:
    command: ${report('env_set')}
    user: ${user}
    environment:
      - HOME=/custom/home
      - USER=someone-else
`,
      'users.kepler.yaml',
    );
    const r = await d.cli(['start', '-d', '--wait', '--timeout', '40s', '-f', config]);
    expect(r).toMatchObject({ code: 0 });
  }, T);

  test(
    'by name: uid, primary gid and supplementary groups from /etc/group, without `kepler`',
    async () => {
      const s = await seen('by_name');
      expect(s.uid).toBe(ids.uid);
      expect(s.gid).toBe(ids.gid);
      expect(s.groups).toEqual(sorted([ids.gid, g1Gid, g2Gid]));
      expect(s.groups).not.toContain(keplerGid);
      expect(s.uid).not.toBe(0);
    },
    T,
  );

  test(
    'by uid: the same identity as by name',
    async () => {
      const s = await seen('by_uid');
      expect(s).toMatchObject({ uid: ids.uid, gid: ids.gid });
      expect(s.groups).toEqual(sorted([ids.gid, g1Gid, g2Gid]));
    },
    T,
  );

  test(
    "uid:gid: the given primary gid, the user's groups still there",
    async () => {
      const s = await seen('uid_gid');
      expect(s.uid).toBe(ids.uid);
      expect(s.gid).toBe(g1Gid);
      expect(s.groups).toEqual(sorted([ids.gid, g1Gid, g2Gid]));
      expect(s.groups).not.toContain(keplerGid);
    },
    T,
  );

  test(
    'group: overrides the primary group',
    async () => {
      const s = await seen('group_override');
      expect(s.uid).toBe(ids.uid);
      expect(s.gid).toBe(g2Gid);
      expect(s.groups).not.toContain(keplerGid);
    },
    T,
  );

  test(
    'the `kepler` group is passed on only when the config asks for it',
    async () => {
      const s = await seen('kepler_asked');
      expect(s.gid).toBe(keplerGid);
      expect(s.groups).toContain(keplerGid);
    },
    T,
  );

  test(
    "HOME, USER, LOGNAME and SHELL are the target user's",
    async () => {
      const s = await seen('by_name');
      expect(s.env).toBe(`HOME=/home/${user} USER=${user} LOGNAME=${user} SHELL=/bin/sh`);
    },
    T,
  );

  test(
    '... unless the config sets them',
    async () => {
      const s = await seen('env_set');
      expect(s.env).toBe(`HOME=/custom/home USER=someone-else LOGNAME=${user} SHELL=/bin/sh`);
    },
    T,
  );
});

describe('hooks and health checks', () => {
  test(
    'a hook runs as the service user unless it names its own; the health check as the service user',
    async () => {
      const config = d.writeConfig(
        `services:
  app:
    command: ["sleep", "600"]
    user: ${user}
    hooks:
      pre_start:
        command: ${report('hook_own')}
        user: ${hookUser}
      post_start:
        command: ${report('hook_inherited')}
    healthcheck:
      test: ${report('health')}
      interval: 500ms
      retries: 1
`,
        'hooks.kepler.yaml',
      );
      expect((await d.cli(['start', '-d', '--wait', '--timeout', '40s', '-f', config])).code).toBe(0);
      const own = await seen('hook_own');
      expect(own).toMatchObject({ uid: hookIds.uid, gid: hookIds.gid });
      expect(own.groups).toEqual([hookIds.gid]);
      expect(own.env).toBe(`HOME=/home/${hookUser} USER=${hookUser} LOGNAME=${hookUser} SHELL=/bin/sh`);
      const inherited = await seen('hook_inherited');
      expect(inherited).toMatchObject({ uid: ids.uid, gid: ids.gid });
      expect(inherited.groups).not.toContain(keplerGid);
      const health = await seen('health');
      expect(health).toMatchObject({ uid: ids.uid, gid: ids.gid });
      expect(health.groups).toEqual(sorted([ids.gid, g1Gid, g2Gid]));
      const app = await d.service(config, 'app');
      // The service process itself, seen from outside: the command exec'd in place by the helpers
      // (no helper process left between the daemon and the service).
      expect(readFileSync(`/proc/${app.pid}/comm`, 'utf8')).toBe('sleep\n');
      const status = readFileSync(`/proc/${app.pid}/status`, 'utf8');
      expect(status).toMatch(
        new RegExp(`^Uid:\\s+${ids.uid}\\s+${ids.uid}\\s+${ids.uid}\\s+${ids.uid}$`, 'm'),
      );
      expect(status).toMatch(
        new RegExp(`^Gid:\\s+${ids.gid}\\s+${ids.gid}\\s+${ids.gid}\\s+${ids.gid}$`, 'm'),
      );
      await d.cli(['stop', '-f', config]);
    },
    T,
  );
});

describe('unknown users and groups', () => {
  test(
    'fail the service with a clear reason before any hook or process runs',
    async () => {
      const missingUser = uniqueName('kpnouser');
      const missingGroup = uniqueName('kpnogroup');
      const touched = (n: string) => join(out, `ran-${n}`);
      const touch = (n: string) => JSON.stringify(['touch', touched(n)]);
      const config = d.writeConfig(
        `services:
  bad_user:
    command: ${touch('bad_user')}
    user: ${missingUser}
    hooks:
      on_init:
        command: ${touch('bad_user_init')}
        user: ${hookUser}
      pre_start:
        command: ${touch('bad_user_pre')}
  bad_group:
    command: ${touch('bad_group')}
    user: ${user}
    group: ${missingGroup}
  bad_uid:
    command: ${touch('bad_uid')}
    user: "4000000000"
  bad_hook_user:
    command: ${touch('bad_hook_user')}
    user: ${user}
    hooks:
      pre_start:
        command: ${touch('bad_hook_user_pre')}
      pre_stop:
        command: ${touch('bad_hook_user_pre_stop')}
        user: ${missingUser}
`,
        'unknown.kepler.yaml',
      );
      const r = await d.cli(['start', '-d', '--wait', '--timeout', '40s', '-f', config]);
      expect(r.code).toBe(1);
      const failed = await waitFor(async () => {
        const ps = await d.ps(config);
        return ps.every((s) => s.status === 'failed') ? ps : null;
      }, 'every service to fail');
      const reason = (n: string) => failed.find((s) => s.name === n)?.reason;
      expect(reason('bad_user')).toBe(`unknown user: ${missingUser}`);
      expect(reason('bad_group')).toBe(`unknown group: ${missingGroup}`);
      expect(reason('bad_uid')).toMatch(/^unknown uid: 4000000000/);
      expect(reason('bad_hook_user')).toBe(`pre_stop hook: unknown user: ${missingUser}`);
      for (const n of [
        'bad_user',
        'bad_user_init',
        'bad_user_pre',
        'bad_group',
        'bad_uid',
        'bad_hook_user',
        'bad_hook_user_pre',
      ]) {
        expect([n, existsSync(touched(n))]).toEqual([n, false]);
      }
      // The CLI names the failing service and why.
      expect(r.stdout + r.stderr).toContain(`unknown user: ${missingUser}`);
    },
    T,
  );
});
