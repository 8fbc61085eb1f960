import type { Request, ServiceInfo } from '@kepler/protocol';
import { FakeDaemon, run } from '../testkit/fakeDaemon.js';
import { useScratchDir } from '../testkit/scratchDir.js';

const scratch = useScratchDir('kepler-cli-status-');
let daemon: FakeDaemon;
let config: string;

const service = (name: string, extra: Partial<ServiceInfo> = {}): ServiceInfo => ({
  config,
  name,
  status: 'running',
  pid: 100,
  exitCode: null,
  signal: null,
  restarts: 0,
  startedAt: '2026-01-02T03:04:05.000Z',
  stoppedAt: null,
  health: null,
  healthFailures: 0,
  lastHealthOutput: null,
  reason: null,
  ...extra,
});

beforeEach(async () => {
  config = scratch.file('kepler.yaml', 'services:\n  web:\n    command: ["sleep", "1"]\n');
  daemon = await FakeDaemon.start((_req, reply) =>
    reply.result<'ps'>({ services: [service('web'), service('db', { status: 'stopped', pid: null })] }),
  );
});
afterEach(() => daemon.stop());

describe('kepler status', () => {
  it('is ps under another name: the same request and output, with every flag', async () => {
    const env = { KEPLER_DAEMON_PATH: daemon.stateDir };
    for (const flags of [['-f', config], ['--json', 'web', '-f', config], ['-a'], ['--all', '--json']]) {
      const ps = await run(['ps', ...flags], env);
      const psRequest = daemon.requests.at(-1) as Request;
      const status = await run(['status', ...flags], env);
      expect(daemon.requests.at(-1)).toEqual(psRequest);
      expect(status).toEqual(ps);
      expect(status.code).toBe(0);
    }
    expect(daemon.requests.at(-2)).toEqual({ type: 'ps', all: true });
  });

  it('has its own help, which says it is ps', async () => {
    const { code, stdout } = await run(['status', '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('the same as ps');
    expect(stdout).toContain('-a,--all');
  });
});
