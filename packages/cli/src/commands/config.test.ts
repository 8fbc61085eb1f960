/** `kepler config`: the baked config in the file's vocabulary, `--services`, `--hash`. No daemon. */
import { parse } from 'yaml';
import { run } from '../testkit/fakeDaemon.js';
import { useScratchDir } from '../testkit/scratchDir.js';

const scratch = useScratchDir('kepler-cli-config-');
/** No daemon lives here: `kepler config` must not need one. */
const env = (extra: Record<string, string> = {}) => ({
  KEPLER_DAEMON_PATH: `${scratch.path}/no-daemon`,
  HOME: '/home/tester',
  ...extra,
});

const CONFIG = [
  'lua: |',
  '  function get_port()',
  '    return ctx.env.PORT or "8080"',
  '  end',
  'kepler:',
  '  logs: { max_size: 50MB }',
  'services:',
  '  web:',
  '    command: !lua return {"node", "server.js", "--port", get_port()}',
  '    working_dir: .',
  '  worker:',
  '    command: node worker.js --queue "jobs high"',
  '    depends_on: [web]',
  '    stop_grace_period: 500ms',
  '',
].join('\n');

describe('kepler config', () => {
  it('prints the config in its own vocabulary: snake_case keys, durations and sizes in units', async () => {
    const path = scratch.file('kepler.yaml', CONFIG);
    const r = await run(['config', '-f', path], env());
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const data = parse(r.stdout) as {
      'x-kepler': { source: string };
      kepler: Record<string, unknown>;
      services: Record<string, Record<string, unknown>>;
    };
    expect(data['x-kepler'].source).toBe(path);
    expect(data.kepler).toMatchObject({ sys_env: 'clear', logs: { max_size: '50MB' } });
    expect(data.services.web).toMatchObject({ working_dir: scratch.path, stop_grace_period: '10s' });
    expect(data.services.worker).toMatchObject({
      command: ['node', 'worker.js', '--queue', 'jobs high'],
      depends_on: { web: { condition: 'service_started' } },
      stop_grace_period: '500ms',
    });
    expect(r.stdout).not.toMatch(/workingDir|timeoutMs|maxSizeBytes|sysEnv|stopGracePeriodMs/);
    const json = await run(['config', '-f', path, '--json'], env());
    expect(JSON.parse(json.stdout)).toEqual(data);
  });

  it("lets the lua: block read the CLI's environment under sys_env: clear (the seed's ctx.env.PORT)", async () => {
    const path = scratch.file('kepler.yaml', CONFIG);
    const withPort = parse((await run(['config', '-f', path], env({ PORT: '9000' }))).stdout);
    expect(withPort.services.web.command).toEqual(['node', 'server.js', '--port', '9000']);
    // sys_env: clear still keeps PORT out of the process's environment.
    expect(withPort.services.web).not.toHaveProperty('environment');
    const without = parse((await run(['config', '-f', path], env())).stdout);
    expect(without.services.web.command).toEqual(['node', 'server.js', '--port', '8080']);
  });

  it('--services lists the names in source order; --json as an array', async () => {
    const path = scratch.file('kepler.yaml', CONFIG);
    expect(await run(['config', '-f', path, '--services'], env())).toMatchObject({
      code: 0,
      stdout: 'web\nworker\n',
      stderr: '',
    });
    const json = await run(['config', '--services', '--json', '-f', path], env());
    expect(JSON.parse(json.stdout)).toEqual(['web', 'worker']);
  });

  it('--hash prints the snapshot hash, the one in x-kepler', async () => {
    const path = scratch.file('kepler.yaml', CONFIG);
    const r = await run(['config', '-f', path, '--hash'], env());
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    const full = JSON.parse((await run(['config', '-f', path, '--json'], env())).stdout);
    expect(full['x-kepler'].hash).toBe(r.stdout.trim());
    const json = await run(['config', '-f', path, '--hash', '--json'], env());
    expect(JSON.parse(json.stdout)).toBe(r.stdout.trim());
  });

  it('--services with --hash is a usage error', async () => {
    const path = scratch.file('kepler.yaml', CONFIG);
    expect(await run(['config', '-f', path, '--services', '--hash'], env())).toMatchObject({
      code: 1,
      stdout: '',
      stderr: '--services and --hash: choose one\n',
    });
  });

  it('reports a command string it cannot split with file:line:col and key', async () => {
    const path = scratch.file('kepler.yaml', 'services:\n  web:\n    command: node "server.js\n');
    const r = await run(['config', '-f', path], env());
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'kepler.yaml:3:14 services.web.command: cannot split the string into words: unclosed double quote (the " at character 6)',
    );
  });
});
