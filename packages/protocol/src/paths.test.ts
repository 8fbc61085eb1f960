import { DEFAULT_STATE_DIR, pidPath, socketPath, stateDirFromEnv } from './paths.js';

describe('paths', () => {
  it('uses /var/lib/kepler unless KEPLER_DAEMON_PATH is set and not empty', () => {
    expect(DEFAULT_STATE_DIR).toBe('/var/lib/kepler');
    expect(stateDirFromEnv({})).toBe('/var/lib/kepler');
    expect(stateDirFromEnv({ KEPLER_DAEMON_PATH: '' })).toBe('/var/lib/kepler');
    expect(stateDirFromEnv({ KEPLER_DAEMON_PATH: '/tmp/k' })).toBe('/tmp/k');
  });

  it('makes a relative KEPLER_DAEMON_PATH absolute', () => {
    expect(stateDirFromEnv({ KEPLER_DAEMON_PATH: 'state' })).toBe(`${process.cwd()}/state`);
  });

  it('places the socket and pid file in the state directory', () => {
    expect(socketPath('/var/lib/kepler')).toBe('/var/lib/kepler/kepler.sock');
    expect(pidPath('/tmp/k/')).toBe('/tmp/k/kepler.pid');
  });
});
