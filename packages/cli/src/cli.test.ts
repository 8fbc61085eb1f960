import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogLine, Request, ServiceInfo, StartResult } from '@kepler/protocol';
import { Command } from 'clipanion';
import { COMMANDS } from './cli.js';
import { FakeDaemon, type Handler, run } from './testkit/fakeDaemon.js';

const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

let scratch: string;
let config: string;
beforeAll(() => {
  scratch = realpathSync(mkdtempSync(join(tmpdir(), 'kepler-cli-')));
  config = join(scratch, 'kepler.yaml');
  writeFileSync(config, 'services:\n  web:\n    command: ["sleep", "1"]\n');
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** An env whose state directory has no daemon. */
const noDaemon = () => ({ KEPLER_DAEMON_PATH: join(scratch, 'no-daemon') });

const info = (name: string, extra: Partial<ServiceInfo> = {}): ServiceInfo => ({
  config,
  name,
  status: 'running',
  pid: 100,
  exitCode: null,
  signal: null,
  restarts: 0,
  startedAt: new Date().toISOString(),
  stoppedAt: null,
  health: null,
  healthFailures: 0,
  lastHealthOutput: null,
  reason: null,
  ...extra,
});

const logLine = (service: string, bytes: number[] | string, hook: string | null = null): LogLine => ({
  ts: Date.parse('2024-01-01T00:00:00.000Z'),
  service,
  hook,
  stream: 'stdout',
  line: new Uint8Array(typeof bytes === 'string' ? Buffer.from(bytes) : bytes),
});

describe('help and version', () => {
  it('--version prints the version of packages/cli/package.json', async () => {
    expect(await run(['--version'])).toMatchObject({ code: 0, stdout: `kepler ${VERSION}\n`, stderr: '' });
  });

  it('--help lists every command', async () => {
    const { code, stdout } = await run(['--help']);
    expect(code).toBe(0);
    for (const c of COMMANDS) {
      if (!c.usage) continue;
      for (const path of c.paths ?? []) expect(stdout).toContain(`kepler ${path.join(' ')}`);
    }
  });

  it('every command has a description, details and examples', () => {
    const documented = COMMANDS.filter((c) => c.usage !== undefined);
    expect(documented.length).toBe(25); // + top, inspect, export systemd, export nomad, export
    for (const c of documented) {
      expect(c.usage?.description).toBeTruthy();
      expect(c.usage?.details).toBeTruthy();
      expect(c.usage?.examples?.length).toBeGreaterThan(0);
    }
  });

  it('command --help shows its usage and examples', async () => {
    const { code, stdout } = await run(['start', '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('kepler start');
    expect(stdout).toContain('Examples');
    expect(stdout).toContain('--wait');
  });

  it('export --help lists systemd and nomad, as daemon --help lists its subcommands', async () => {
    for (const args of [['export', '--help'], ['export'], ['help', 'export']]) {
      const { code, stdout } = await run(args);
      expect(code).toBe(0);
      expect(stdout).toContain('kepler export systemd');
      expect(stdout).toContain('kepler export nomad');
    }
    expect(await run(['export', 'nomd'])).toMatchObject({
      code: 1,
      stderr:
        "Unknown command 'kepler export nomd': 'kepler export' has systemd, nomad (see: kepler --help)\n",
    });
    expect((await run(['daemon', 'strat'])).stderr).toBe(
      "Unknown command 'kepler daemon strat': 'kepler daemon' has start, stop, restart, status (see: kepler --help)\n",
    );
  });

  it('usage lines name option values and the services: no clipanion #0, [SERVICE...] shown', async () => {
    const list = await run(['--help']);
    expect(list.stdout).not.toContain('#0');
    expect(list.stdout).toContain(
      'kepler logs [-v,--verbose] [-f,--file FILE] [--follow] [--head N] [-n,--tail N] [--since TIME] [--until TIME] [--no-hook] [--json] [--raw] [--timestamps] [SERVICE...]',
    );
    expect(list.stdout).toMatch(/kepler start .*\[--timeout DURATION\] \[SERVICE\.\.\.\]\n/);
    expect(list.stdout).toMatch(/kepler stop .*\[-s,--signal SIGNAL\].* \[SERVICE\.\.\.\]\n/);
    const logs = await run(['logs', '--help']);
    expect(logs.stdout).toContain('$ kepler logs [SERVICE...]\n');
    expect(logs.stdout).toMatch(/\n {2}-n,--tail N {4,}Only the last N lines/);
    expect(logs.stdout).not.toContain('#0');
  });

  it('logs --help shows --no-hook, as the README does, and no --hook', async () => {
    const { stdout } = await run(['logs', '--help']);
    expect(stdout).toMatch(/\n {2}--no-hook {2,}\S/);
    expect(stdout).not.toMatch(/\n {2}--hook /);
  });

  it('kepler alone prints the command list', async () => {
    const { code, stdout } = await run([]);
    expect(code).toBe(0);
    expect(stdout).toContain('kepler daemon start');
  });

  it('is a real clipanion command list', () => {
    for (const c of COMMANDS) expect(c.prototype).toBeInstanceOf(Command);
  });
});

describe('usage errors: one line on stderr, exit 1', () => {
  const cases: [string[], string][] = [
    [['start', '--bogus'], "Unknown option --bogus for 'kepler start' (see: kepler start --help)\n"],
    [
      ['daemon', 'status', '--nope'],
      "Unknown option --nope for 'kepler daemon status' (see: kepler daemon status --help)\n",
    ],
    [['logs', '--tail'], 'Option --tail needs a value (see: kepler logs --help)\n'],
    [
      ['recreate', 'extra'],
      'Unexpected argument "extra" for \'kepler recreate\' (see: kepler recreate --help)\n',
    ],
    [
      ['strat'],
      "Unknown command 'strat'; commands: start, stop, restart, ps, status, logs, up, down, recreate, prune, run, rm, top, inspect, config, export, completion, dashboard, daemon, help (see: kepler --help)\n",
    ],
    [['logs', '-f'], '-f needs a config file path (to follow logs, use --follow)\n'],
    [['start', '--wait'], '--wait requires -d/--detach (use: -d --wait)\n'],
    [['start', '-d', '--timeout', '5s'], '--timeout requires --wait (use: -d --wait --timeout DURATION)\n'],
    [['restart', '--wait', '--timeout', '5s'], '--wait requires -d/--detach (use: -d --wait)\n'],
    [['logs', '--head', '1', '--tail', '2'], '--head and --tail cannot be used together\n'],
    [['logs', '--tail', 'ten'], '--tail: "ten" is not a number of lines\n'],
    [['logs', '--tail', '99999999999999999999'], '--tail: 99999999999999999999 is too large\n'],
    [['logs', '--follow', '--head', '3'], '--head cannot be used with --follow (use --tail)\n'],
    [['logs', '--json', '--raw'], '--json and --raw cannot be used together\n'],
  ];
  it.each(cases)('%j', async (argv, stderr) => {
    const result = await run(argv, noDaemon());
    expect(result).toMatchObject({ code: 1, stdout: '', stderr });
  });

  it('an unknown option before the command is named like one after it', async () => {
    expect(await run(['--bogus', 'ps'], noDaemon())).toMatchObject({
      code: 1,
      stderr: "Unknown option --bogus for 'kepler ps' (see: kepler ps --help)\n",
    });
    expect((await run(['-x'], noDaemon())).stderr).toBe('Unknown option -x (see: kepler --help)\n');
  });

  it('-f on a command without a config names -f as typed, not its --file= rewrite', async () => {
    for (const argv of [
      ['prune', '-f', 'x.yaml'],
      ['-f', 'x.yaml', 'prune'],
    ]) {
      expect(await run(argv, noDaemon())).toMatchObject({
        code: 1,
        stderr: "-f/--file: 'kepler prune' takes no config file (see: kepler prune --help)\n",
      });
    }
    expect((await run(['daemon', 'status', '--file', 'x.yaml'], noDaemon())).stderr).toBe(
      "-f/--file: 'kepler daemon status' takes no config file (see: kepler daemon status --help)\n",
    );
  });

  it('names --timeout when its value is not a duration', async () => {
    const { code, stderr } = await run(['start', '-d', '--wait', '--timeout', '10x'], noDaemon());
    expect(code).toBe(1);
    expect(stderr).toMatch(/^--timeout: .*10x.*\n$/);
  });

  it('names --signal when its value is not a signal', async () => {
    const { code, stderr } = await run(['stop', '-s', 'SIGBOGUS'], noDaemon());
    expect(code).toBe(1);
    expect(stderr).toMatch(/^--signal: .*SIGBOGUS.*\n$/);
  });

  it('reports a missing config file without a stack', async () => {
    const { code, stderr } = await run(['ps', '-f', join(scratch, 'missing.yaml')], noDaemon());
    expect(code).toBe(1);
    expect(stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(stderr).not.toContain('    at ');
  });
});

describe('without a daemon', () => {
  it('config commands print the exact not-running line and exit 2', async () => {
    for (const argv of [['ps'], ['start', '-d'], ['logs'], ['stop'], ['recreate']]) {
      const result = await run([...argv, '-f', config], noDaemon());
      expect(result).toEqual(
        expect.objectContaining({
          code: 2,
          stdout: '',
          // sudo drops KEPLER_DAEMON_PATH: the hint carries it.
          stderr: `Daemon is not running. Start it with: sudo KEPLER_DAEMON_PATH=${noDaemon().KEPLER_DAEMON_PATH} kepler daemon start -d\n`,
        }),
      );
    }
  });

  it('daemon status says so and exits 1 (--json: running false)', async () => {
    const human = await run(['daemon', 'status'], noDaemon());
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(
      /^Daemon is not running\n {2}daemon: {5}KEPLER_DAEMON_PATH \(KEPLER_DAEMON_PATH is set\)\n {2}state dir: {2}\/\S+\n$/,
    );
    const json = await run(['daemon', 'status', '--json'], noDaemon());
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({
      running: false,
      daemon: { kind: 'env', reason: 'KEPLER_DAEMON_PATH is set' },
      state_dir: expect.stringMatching(/^\//),
    });
  });

  it('daemon stop says so and exits 2', async () => {
    expect(await run(['daemon', 'stop'], noDaemon())).toMatchObject({
      code: 2,
      stderr: 'Daemon is not running\n',
    });
  });
});

describe('with a daemon', () => {
  let daemon: FakeDaemon;
  let handler: Handler;
  let env: Record<string, string>;
  beforeAll(async () => {
    daemon = await FakeDaemon.start((req, reply, cancelled) => handler(req, reply, cancelled));
    env = { KEPLER_DAEMON_PATH: daemon.stateDir, MARKER: 'captured' };
  });
  afterAll(() => daemon.stop());
  beforeEach(() => {
    daemon.requests.length = 0;
  });
  const last = (): Request => {
    const r = daemon.requests[daemon.requests.length - 1];
    if (!r) throw new Error('no request');
    return r;
  };

  it('sends the canonical config path and the CLI environment', async () => {
    handler = (_req, reply) => reply.result({ services: [] });
    const link = join(scratch, 'link.yaml');
    rmSync(link, { force: true });
    (await import('node:fs')).symlinkSync(config, link);
    await run(['ps', '-f', link], env);
    const req = last();
    expect(req.type).toBe('ps');
    if (req.type !== 'ps') return;
    expect(req.config?.path).toBe(config);
    expect(req.config?.env.MARKER).toBe('captured');
  });

  it('-f before the command equals -f after it', async () => {
    handler = (_req, reply) =>
      reply.result<'start'>({ started: ['web'], alreadyRunning: [], deferred: [], services: [] });
    await run(['-f', config, 'start', '-d'], env);
    const before = last();
    await run(['start', '-d', '-f', config], env);
    expect(last()).toEqual(before);
    await run([`-f${config}`, 'start', '-d'], env);
    expect(last()).toEqual(before);
  });

  it('ps prints the table and --json the snake_case objects', async () => {
    handler = (_req, reply) =>
      reply.result<'ps'>({
        services: [
          info('web', { pid: 4242 }),
          info('worker', { status: 'failed', pid: null, exitCode: 1, reason: 'exit 1' }),
        ],
      });
    const table = await run(['ps', '-f', config], env);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toBe('NAME     STATUS            PID    UPTIME   RESTARTS   HEALTH');
    expect(table.stdout).toContain('failed (exit 1)');
    const json = await run(['ps', '--json', '-f', config], env);
    const rows = JSON.parse(json.stdout) as Record<string, unknown>[];
    expect(rows.map((r) => r.name)).toEqual(['web', 'worker']);
    expect(Object.keys(rows[1] ?? {})).toEqual(
      expect.arrayContaining([
        'name',
        'status',
        'pid',
        'exit_code',
        'signal',
        'restarts',
        'started_at',
        'stopped_at',
        'health',
        'config',
      ]),
    );
    expect(rows[1]?.exit_code).toBe(1);
    const one = await run(['ps', '--json', 'worker', '-f', config], env);
    expect((JSON.parse(one.stdout) as unknown[]).length).toBe(1);
    const unknown = await run(['ps', 'nope', '-f', config], env);
    expect(unknown).toMatchObject({ code: 1, stderr: `No service named "nope" in ${config}\n` });
  });

  it('ps --all asks for every config and shows the CONFIG column', async () => {
    handler = (_req, reply) => reply.result<'ps'>({ services: [info('web')] });
    const result = await run(['ps', '--all'], env);
    expect(last()).toEqual({ type: 'ps', all: true });
    expect(result.stdout.startsWith('CONFIG')).toBe(true);
  });

  it('start -d prints what started and what already ran', async () => {
    handler = (_req, reply) =>
      reply.result<'start'>({ started: ['db'], alreadyRunning: ['web'], deferred: [], services: [] });
    const result = await run(['start', '-d', '-f', config], env);
    expect(result).toMatchObject({ code: 0, stdout: 'Starting db\nweb is already running\n' });
    expect(last()).toMatchObject({ type: 'start', mode: 'detach', services: [] });
  });

  it('start -d --wait shows progress and counts ready and deferred services', async () => {
    handler = (_req, reply) => {
      reply.event({
        type: 'serviceStatusChanged',
        service: 'db',
        status: 'starting',
        previous: 'stopped',
        reason: null,
        info: info('db'),
      });
      reply.event({ type: 'progress', service: 'web', message: 'waiting on db' });
      reply.event({
        type: 'serviceStatusChanged',
        service: 'db',
        status: 'healthy',
        previous: 'running',
        reason: null,
        info: info('db'),
      });
      reply.result<'start'>({
        started: ['db', 'web', 'cron'],
        alreadyRunning: [],
        deferred: ['cron'],
        services: [],
      });
    };
    const result = await run(['start', '-d', '--wait', '--timeout', '2m', 'web', '-f', config], env);
    expect(last()).toMatchObject({ type: 'start', mode: 'wait', timeoutMs: 120_000, services: ['web'] });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        'db: starting',
        'web: waiting (waiting on db)',
        'db: healthy',
        '2 services ready',
        '1 deferred service continues in the background',
        '',
      ].join('\n'),
    );
  });

  it('start -d --wait exits 1 with the failing service, its reason and last lines', async () => {
    const failure: StartResult['failure'] = {
      service: 'api',
      reason: 'exit 1',
      lastLines: [logLine('api', 'boom')],
    };
    handler = (_req, reply) =>
      reply.result<'start'>({ started: [], alreadyRunning: [], deferred: [], services: [], failure });
    const result = await run(['start', '-d', '--wait', '-f', config], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^api failed: exit 1\nLast log lines of api:\n\d\d:\d\d:\d\d\.\d{3} api \| boom\n$/,
    );
  });

  it('start in the foreground prints status and log lines and exits 1 when a service failed', async () => {
    handler = (_req, reply) => {
      reply.event({
        type: 'serviceStatusChanged',
        service: 'web',
        status: 'running',
        previous: 'starting',
        reason: null,
        info: info('web'),
      });
      reply.event({ type: 'logLines', lines: [logLine('web', 'hello')] });
      reply.event({ type: 'quiescent' });
      reply.result<'start'>({
        started: ['web'],
        alreadyRunning: [],
        deferred: [],
        services: [info('web', { status: 'failed', reason: 'exit 3' })],
      });
    };
    const result = await run(['start', '-f', config], env);
    expect(last()).toMatchObject({ mode: 'follow' });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} web \* running\n\d\d:\d\d:\d\d\.\d{3} web \| hello\n$/,
    );
    expect(result.stderr).toBe('web failed: exit 3\n');
  });

  it('a foreground start says first what it follows, what is already running, and what Ctrl+C does', async () => {
    handler = (_req, reply) => {
      reply.event({ type: 'begun', started: ['api'], alreadyRunning: ['db'] });
      reply.event({ type: 'quiescent' });
      reply.result<'start'>({ started: ['api'], alreadyRunning: ['db'], deferred: [], services: [] });
    };
    const named = await run(['start', 'api', '-f', config], env);
    expect(named).toMatchObject({
      code: 0,
      stdout: 'db is already running\nFollowing api (Ctrl+C stops it; -d returns at once)\n',
    });
    const all = await run(['start', '-f', config], env);
    expect(all.stdout).toContain('Following all services (Ctrl+C stops them; -d returns at once)\n');
  });

  it('a foreground restart that restarts nothing says so and what to run', async () => {
    handler = (_req, reply) => {
      reply.event({ type: 'begun', started: [], alreadyRunning: [] });
      reply.event({ type: 'quiescent' });
      reply.result<'restart'>({ started: [], alreadyRunning: [], deferred: [], services: [] });
    };
    expect(await run(['restart', '-f', config], env)).toMatchObject({
      code: 0,
      stdout: 'No running services to restart (`kepler start` starts them)\n',
    });
    expect(await run(['restart', 'web', '-f', config], env)).toMatchObject({
      code: 0,
      stdout: 'web is not running, so not restarted (`kepler start web` starts it)\n',
    });
  });

  it('ps of a config the daemon has not loaded: one line on stderr, exit 0, [] with --json', async () => {
    handler = (_req, reply) => reply.result<'ps'>({ services: [], loaded: false });
    const note = `${config} is not loaded (\`kepler start -f ${config}\` loads it)\n`;
    expect(await run(['ps', '-f', config], env)).toMatchObject({ code: 0, stdout: '', stderr: note });
    expect(await run(['ps', '--json', 'web', '-f', config], env)).toMatchObject({
      code: 0,
      stdout: '[]\n',
      stderr: note,
    });
  });

  it('logs says on stderr when the config is not loaded, and which services retention emptied', async () => {
    handler = (_req, reply) => reply.result<'logs'>({ lines: 0, loaded: false });
    expect(await run(['logs', '-f', config], env)).toMatchObject({
      code: 0,
      stdout: '',
      stderr: `${config} is not loaded (\`kepler start -f ${config}\` loads it)\n`,
    });
    handler = (_req, reply) =>
      reply.result<'logs'>({ lines: 0, cleared: [{ service: 'web', by: 'on_exit' }] });
    expect(await run(['logs', '-f', config, 'web'], env)).toMatchObject({
      code: 0,
      stdout: '',
      stderr:
        'web: no stored output: it was cleared when its process exited (logs.retention.on_exit: clear; set it to retain to keep the logs of ended runs)\n',
    });
  });

  it('restart uses the restart request with the same modes', async () => {
    handler = (_req, reply) =>
      reply.result<'restart'>({ started: ['web'], alreadyRunning: [], deferred: [], services: [] });
    const result = await run(['restart', '-d', 'web', '-f', config], env);
    expect(last()).toMatchObject({ type: 'restart', mode: 'detach', services: ['web'] });
    expect(result.stdout).toBe('Restarting web\n');
  });

  it('stop sends the canonical signal and prints what stopped', async () => {
    handler = (_req, reply) => reply.result<'stop'>({ stopped: ['web'], cleaned: false });
    const result = await run(['stop', '-s', 'kill', '-f', config], env);
    expect(last()).toMatchObject({ type: 'stop', signal: 'SIGKILL', services: [] });
    expect(result).toMatchObject({ code: 0, stdout: 'Stopped web\n' });
    await run(['stop', '--signal', '9', '--clean', '-f', config], env);
    expect(last()).toMatchObject({ type: 'stop', signal: 'SIGKILL', clean: true, services: [] });
  });

  it("stop --clean with service names is refused before anything stops (the state is the whole config's)", async () => {
    const { code, stderr } = await run(['stop', '--clean', 'web', '-f', config], noDaemon());
    expect(code).toBe(1);
    expect(stderr).toBe("--clean: removes the whole config's state; give no service names (got web)\n");
  });

  it('logs writes the line bytes untouched in text and --raw, and decodes them in --json', async () => {
    const bytes = [0x61, 0xff, 0x0d, 0x62];
    handler = (_req, reply) => {
      reply.event({ type: 'logLines', lines: [logLine('web', bytes), logLine('web', 'x', 'pre_start')] });
      reply.result<'logs'>({ lines: 2 });
    };
    const raw = await run(['logs', '--raw', '-f', config], env);
    expect([...raw.stdoutBytes]).toEqual([...bytes, 0x0a, 0x78, 0x0a]);
    const text = await run(['logs', '--no-timestamps', '-f', config], env);
    expect(
      text.stdoutBytes.equals(
        Buffer.concat([
          Buffer.from('web           | '),
          Buffer.from(bytes),
          Buffer.from('\nweb.pre_start | x\n'),
        ]),
      ),
    ).toBe(true);
    const json = await run(['logs', '--json', '-f', config], env);
    const rows = json.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows[0]).toEqual({
      ts: '2024-01-01T00:00:00.000Z',
      service: 'web',
      stream: 'stdout',
      line: 'a\uFFFD\rb',
    });
    expect(rows[1]?.hook).toBe('pre_start');
  });

  it('logs passes the selection: all lines by default, --follow tails 10, --no-hook', async () => {
    handler = (_req, reply) => reply.result<'logs'>({ lines: 0 });
    await run(['logs', 'web', '-f', config], env);
    expect(last()).toEqual(expect.objectContaining({ type: 'logs', services: ['web'] }));
    expect(last()).not.toHaveProperty('tail');
    expect(last()).not.toHaveProperty('head');
    await run(['logs', '--follow', '--no-hook', '-f', config], env);
    expect(last()).toMatchObject({ follow: true, tail: 10, noHook: true });
    await run(['logs', '--follow', '--tail', '3', '-f', config], env);
    expect(last()).toMatchObject({ follow: true, tail: 3 });
    await run(['logs', '--head', '5', '-f', config], env);
    expect(last()).toMatchObject({ head: 5 });
  });

  it('prints every issue of an invalid config sent by the daemon', async () => {
    handler = (_req, reply) =>
      reply.error({
        code: 'CONFIG_INVALID',
        message: 'invalid',
        data: {
          issues: [
            { file: config, line: 3, column: 5, path: 'services.web.command', message: 'is required' },
            { file: config, path: 'services.db', message: 'unknown key' },
          ],
        },
      });
    const result = await run(['start', '-d', '-f', config], env);
    expect(result.code).toBe(1);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('3:5 services.web.command: is required');
  });

  it("prints a daemon refusal's message, exit 1", async () => {
    handler = (_req, reply) =>
      reply.error({ code: 'SERVICES_RUNNING', message: 'stop every service of the config first' });
    expect(await run(['recreate', '-f', config], env)).toMatchObject({
      code: 1,
      stderr: 'stop every service of the config first\n',
    });
  });

  it('recreate reports the new snapshot', async () => {
    handler = (_req, reply) =>
      reply.result<'recreate'>({ hash: 'abcdef0123456789', services: ['web', 'db'] });
    const result = await run(['recreate', '-f', config], env);
    expect(result.stdout).toBe(`Recreated the snapshot of ${config} (2 services, hash abcdef012345)\n`);
  });

  it('daemon status prints the daemon and its configs', async () => {
    handler = (_req, reply) =>
      reply.result<'status'>({
        pid: 77,
        version: '0.1.0',
        protocol: 1,
        startedAt: '2024-01-01T00:00:00.000Z',
        uptimeMs: 192_000,
        stateDir: daemon.stateDir,
        configs: [{ path: config, hash: 'h', services: 3, running: 2 }],
      });
    const human = await run(['daemon', 'status'], env);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('pid:        77');
    expect(human.stdout).toContain('uptime:     3m 12s');
    expect(human.stdout).toMatch(/CONFIG\s+SERVICES\s+RUNNING\n.*kepler\.yaml\s+3\s+2\n/);
    const json = JSON.parse((await run(['daemon', 'status', '--json'], env)).stdout) as Record<
      string,
      unknown
    >;
    expect(json).toMatchObject({ running: true, pid: 77, uptime_ms: 192_000, state_dir: daemon.stateDir });
  });

  it('prune prints a table and the space freed', async () => {
    handler = (_req, reply) =>
      reply.result<'prune'>({
        entries: [
          {
            path: '/gone/kepler.yaml',
            stateDir: '/x',
            bytes: 2048,
            reason: 'orphaned: source missing',
            removed: true,
          },
        ],
        freedBytes: 2048,
        dryRun: false,
      });
    const result = await run(['prune', '--force'], env);
    expect(last()).toEqual({ type: 'prune', force: true });
    expect(result.stdout).toBe(
      [
        'CONFIG              REASON                     SIZE      ACTION',
        '/gone/kepler.yaml   orphaned: source missing   2.0 KiB   removed',
        'Total freed: 2.0 KiB',
        '',
      ].join('\n'),
    );
    const json = JSON.parse((await run(['prune', '--json', '--dry-run'], env)).stdout) as Record<
      string,
      unknown
    >;
    expect(json).toMatchObject({ freed_bytes: 2048, entries: [{ state_dir: '/x', removed: true }] });
  });
});

describe('Ctrl+C', () => {
  let daemon: FakeDaemon;
  let env: Record<string, string>;
  afterEach(() => daemon.stop());

  /** Resolves once the daemon has received a request of `type`. */
  async function requested(type: Request['type'], timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!daemon.requests.some((r) => r.type === type)) {
      if (Date.now() > deadline) throw new Error(`no ${type} request within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it('first Ctrl+C in the foreground stops the services on a second connection and waits', async () => {
    let endStream: (() => void) | undefined;
    daemon = await FakeDaemon.start((req, reply) => {
      if (req.type === 'start') {
        reply.event({ type: 'logLines', lines: [logLine('web', 'up')] });
        endStream = () => {
          reply.event({ type: 'quiescent' });
          reply.result<'start'>({
            started: ['web'],
            alreadyRunning: [],
            deferred: [],
            services: [info('web', { status: 'stopped' })],
          });
        };
      } else if (req.type === 'stop') {
        reply.result<'stop'>({ stopped: ['web'], cleaned: false });
        endStream?.();
      }
    });
    env = { KEPLER_DAEMON_PATH: daemon.stateDir };
    const running = run(['start', 'web', '-f', config], env);
    await requested('start');
    process.emit('SIGINT', 'SIGINT');
    const result = await running;
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('Stopping services... (press Ctrl+C again to force)\n');
    expect(daemon.requests.find((r) => r.type === 'stop')).toMatchObject({ services: ['web'] });
    expect(result.stdout).toMatch(/web \| up\n$/);
  });

  it('a second Ctrl+C exits at once with 130', async () => {
    daemon = await FakeDaemon.start(() => {
      // Never answers: neither the start stream nor the stop ends.
    });
    env = { KEPLER_DAEMON_PATH: daemon.stateDir };
    const running = run(['start', '-f', config], env);
    await requested('start');
    process.emit('SIGINT', 'SIGINT');
    await requested('stop');
    process.emit('SIGINT', 'SIGINT');
    expect((await running).code).toBe(130);
  });

  it('Ctrl+C ends logs --follow cleanly with 0 and cancels the stream', async () => {
    let wasCancelled = false;
    daemon = await FakeDaemon.start(async (_req, reply, cancelled) => {
      reply.event({ type: 'logLines', lines: [logLine('web', 'tail line')] });
      await cancelled;
      wasCancelled = true;
      reply.result<'logs'>({ lines: 1 });
    });
    env = { KEPLER_DAEMON_PATH: daemon.stateDir };
    const running = run(['logs', '--follow', '--raw', '-f', config], env);
    await requested('logs');
    process.emit('SIGINT', 'SIGINT');
    const result = await running;
    expect(result).toMatchObject({ code: 0, stdout: 'tail line\n', stderr: '' });
    expect(wasCancelled).toBe(true);
  });

  it('-d --wait: Ctrl+C leaves the services starting and exits 130', async () => {
    daemon = await FakeDaemon.start(() => {});
    env = { KEPLER_DAEMON_PATH: daemon.stateDir };
    const running = run(['start', '-d', '--wait', '-f', config], env);
    await requested('start');
    process.emit('SIGINT', 'SIGINT');
    const result = await running;
    expect(result.code).toBe(130);
    expect(result.stderr).toBe(
      'Interrupted: the services keep starting in the background (see: kepler ps)\n',
    );
  });
});
