import { chooseDaemon, currentIdentity, type Identity, mayAutoStart } from './daemonLocation.js';

const root: Identity = { uid: 0, gids: [0], keplerGid: 990, home: '/root' };
const member: Identity = { uid: 1000, gids: [1000, 990], keplerGid: 990, home: '/home/ann' };
const outsider: Identity = { uid: 1001, gids: [1001, 27], keplerGid: 990, home: '/home/bob' };

describe('chooseDaemon (which daemon the CLI and the daemon use)', () => {
  it('takes KEPLER_DAEMON_PATH first, for anyone, made absolute', () => {
    for (const who of [root, member, outsider]) {
      expect(chooseDaemon({ KEPLER_DAEMON_PATH: '/tmp/k' }, who)).toEqual({
        kind: 'env',
        stateDir: '/tmp/k',
        reason: 'KEPLER_DAEMON_PATH is set',
      });
    }
    expect(chooseDaemon({ KEPLER_DAEMON_PATH: 'state' }, outsider).stateDir).toBe(`${process.cwd()}/state`);
  });

  it('gives root and members of the kepler group the system daemon', () => {
    expect(chooseDaemon({ KEPLER_DAEMON_PATH: '' }, root)).toMatchObject({
      kind: 'system',
      stateDir: '/var/lib/kepler',
    });
    expect(chooseDaemon({ HOME: '/home/ann' }, member)).toEqual({
      kind: 'system',
      stateDir: '/var/lib/kepler',
      reason: 'member of the kepler group',
    });
  });

  it('gives everyone else a daemon of their own in $XDG_STATE_HOME/kepler, else ~/.local/state/kepler', () => {
    expect(chooseDaemon({ XDG_STATE_HOME: '/run/bob/state', HOME: '/x' }, outsider)).toMatchObject({
      kind: 'user',
      stateDir: '/run/bob/state/kepler',
    });
    expect(chooseDaemon({ HOME: '/srv/bob' }, outsider).stateDir).toBe('/srv/bob/.local/state/kepler');
    // No HOME: passwd's home. A relative XDG_STATE_HOME is invalid (XDG spec) and ignored.
    expect(chooseDaemon({ XDG_STATE_HOME: 'rel' }, outsider).stateDir).toBe('/home/bob/.local/state/kepler');
  });

  it('treats a machine without a kepler group as having no members', () => {
    const noGroup: Identity = { ...member, keplerGid: null };
    expect(chooseDaemon({ HOME: '/home/ann' }, noGroup).kind).toBe('user');
  });

  it('reads this process: root here (the tests run as root) gets the system daemon', () => {
    const me = currentIdentity();
    expect(me.gids).toContain(process.getgid?.());
    if (me.uid === 0) expect(chooseDaemon({}, me).kind).toBe('system');
  });
});

describe('mayAutoStart', () => {
  const user = chooseDaemon({ HOME: '/home/bob' }, outsider);
  const system = chooseDaemon({}, member);
  const env = chooseDaemon({ KEPLER_DAEMON_PATH: '/tmp/k' }, root);

  it('starts your own daemon always, the system or KEPLER_DAEMON_PATH one only as root', () => {
    expect(mayAutoStart(user, {}, outsider.uid)).toBe(true);
    expect(mayAutoStart(system, {}, member.uid)).toBe(false);
    expect(mayAutoStart(system, {}, 0)).toBe(true);
    expect(mayAutoStart(env, {}, 0)).toBe(true);
    expect(mayAutoStart(env, {}, outsider.uid)).toBe(false);
  });

  it('never with KEPLER_NO_AUTOSTART=1', () => {
    expect(mayAutoStart(user, { KEPLER_NO_AUTOSTART: '1' }, outsider.uid)).toBe(false);
    expect(mayAutoStart(env, { KEPLER_NO_AUTOSTART: '1' }, 0)).toBe(false);
    expect(mayAutoStart(env, { KEPLER_NO_AUTOSTART: '0' }, 0)).toBe(true);
  });
});
