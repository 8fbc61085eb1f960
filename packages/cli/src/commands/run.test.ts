import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Request, ServiceInfo } from '@kepler/protocol';
import { FakeDaemon, run } from '../testkit/fakeDaemon.js';
import { useScratchDir } from '../testkit/scratchDir.js';

const scratch = useScratchDir('kepler-cli-run-');
let daemon: FakeDaemon;
let env: Record<string, string>;
const home = process.cwd();
const uid = process.getuid?.() ?? 0;

const info = (config: string, name: string): ServiceInfo => ({
  config,
  name,
  status: 'running',
  pid: 100,
  exitCode: null,
  signal: null,
  restarts: 0,
  startedAt: null,
  stoppedAt: null,
  health: null,
  healthFailures: 0,
  lastHealthOutput: null,
  reason: null,
});

beforeEach(async () => {
  process.chdir(scratch.path); // the name rule looks for a kepler.yaml here
  daemon = await FakeDaemon.start((req, reply) => {
    if (req.type === 'adhocAdd') {
      if (req.service.name === 'taken') {
        reply.error({ code: 'SERVICE_EXISTS', message: 'an ad-hoc service named taken already exists' });
        return;
      }
      reply.result<'adhocAdd'>({ config: adhocPath(), service: req.service.name ?? 'sleep' });
    } else if (req.type === 'start') {
      const started = [...req.services];
      reply.result<'start'>({
        started,
        alreadyRunning: [],
        deferred: [],
        services: started.map((n) => info(req.config.path, n)),
      });
    } else if (req.type === 'stop') {
      reply.result<'stop'>({ stopped: [...req.services], cleaned: false });
    } else if (req.type === 'ps') {
      const loaded = req.config?.path === adhocPath();
      reply.result<'ps'>({
        services: loaded ? ['nap', 'web'].map((n) => info(adhocPath(), n)) : [],
        ...(loaded ? {} : { loaded: false }),
      });
    } else if (req.type === 'adhocRemove') {
      reply.result<'adhocRemove'>({ config: adhocPath(), stopped: ['nap'], removed: [...req.services] });
    }
  });
  env = { KEPLER_DAEMON_PATH: daemon.stateDir, PATH: '/usr/bin:/bin' };
});
afterEach(async () => {
  process.chdir(home);
  await daemon.stop();
});

function adhocPath(): string {
  return join(realpathSync(daemon.stateDir), 'adhoc', `${uid}.yaml`);
}

describe('kepler run', () => {
  it('adds the service to the ad-hoc config, then starts it there by name', async () => {
    const r = await run(
      ['run', '-d', '--name', 'nap', '-e', 'A=1', '--restart', 'always', '--', 'sleep', '9'],
      env,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('nap');
    const [add, start] = daemon.requests as [Request, Request];
    expect(add).toEqual({
      type: 'adhocAdd',
      caller: { uid, gid: process.getgid?.() ?? 0 },
      service: {
        name: 'nap',
        command: ['sleep', '9'],
        workingDir: realpathSync(scratch.path),
        environment: [
          'PATH=/usr/bin:/bin',
          'KEPLER_NO_AUTOSTART=1',
          `KEPLER_DAEMON_PATH=${daemon.stateDir}`,
          'A=1',
        ],
        restart: 'always',
      },
    });
    expect(start).toEqual({
      type: 'start',
      config: { path: adhocPath(), env: {} },
      services: ['nap'],
      mode: 'detach',
    });
  });

  it('a taken name: the daemon error, exit 1, nothing started', async () => {
    const r = await run(['run', '-d', '--name', 'taken', '--', 'true'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('an ad-hoc service named taken already exists');
    expect(daemon.requests.map((q) => q.type)).toEqual(['adhocAdd']);
  });

  it('takes no config file', async () => {
    const r = await run(['run', '-f', 'x.yaml', '--', 'true'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('-f/--file: kepler run takes no config file');
    expect(daemon.requests).toEqual([]);
  });
});

describe('which config a service name means', () => {
  it('no kepler.yaml here: stop NAME acts on the ad-hoc config', async () => {
    expect((await run(['stop', 'nap'], env)).code).toBe(0);
    expect(daemon.requests.at(-1)).toEqual({
      type: 'stop',
      config: { path: adhocPath(), env: {} },
      services: ['nap'],
    });
  });

  it('a kepler.yaml here wins, even for a name of the ad-hoc config', async () => {
    const file = scratch.file('kepler.yaml', 'services:\n  web:\n    command: ["true"]\n');
    expect((await run(['stop', 'nap'], env)).code).toBe(0);
    expect((daemon.requests.at(-1) as { config: { path: string } }).config.path).toBe(realpathSync(file));
  });

  it('without a name a config file is still needed', async () => {
    const r = await run(['stop'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no kepler.yaml or kepler.yml in');
    expect(daemon.requests).toEqual([]);
  });
});

describe('kepler rm', () => {
  it('sends the names with the caller and prints what it stopped and removed', async () => {
    const r = await run(['rm', 'nap', 'other'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Stopped nap\nRemoved nap\nRemoved other\n');
    expect(daemon.requests).toEqual([
      { type: 'adhocRemove', caller: { uid, gid: process.getgid?.() ?? 0 }, services: ['nap', 'other'] },
    ]);
  });

  it('needs a name', async () => {
    const r = await run(['rm'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('missing service: kepler rm SERVICE...');
  });

  it("--list prints the caller's run services as the daemon has them, else as the file lists them", async () => {
    const listed = await run(['rm', '--list'], env);
    expect(listed).toMatchObject({ code: 0, stdout: 'nap\nweb\n', stderr: '' });
    expect(daemon.requests).toEqual([{ type: 'ps', config: { path: adhocPath(), env: {} } }]);
    await daemon.stop();
    expect(await run(['rm', '--list'], env)).toMatchObject({ code: 0, stdout: '', stderr: '' });
    // No daemon: the ad-hoc config's file (a comment line, then JSON) names them.
    mkdirSync(join(daemon.stateDir, 'adhoc'), { recursive: true });
    writeFileSync(adhocPath(), '# kepler run\n{"services": {"sleep": {}, "sleep-2": {}}}\n');
    expect(await run(['rm', '--list'], env)).toMatchObject({ code: 0, stdout: 'sleep\nsleep-2\n' });
  });

  it('--list takes no names', async () => {
    const r = await run(['rm', '--list', 'nap'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--list: takes no service names');
    expect(daemon.requests).toEqual([]);
  });
});
