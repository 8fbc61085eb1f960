// Issue 2, CLI side: `kepler config` and the CLI's own surface (version, help, flags), black-box through
// the built CLI. No daemon is started here: `kepler config` must not need one.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureUser, REPO, runCli, runCliAs, type TestUser } from '../testkit.js';

/** Generous: two cores shared with other suites. */
const T = 60_000;

// `yaml` is a dependency of @kepler/config, not of e2e: resolve it from there to parse the output.
const { parse: parseYaml } = createRequire(join(REPO, 'packages/config/package.json'))('yaml') as {
  parse: (text: string) => unknown;
};

const FULL = join(REPO, 'examples/full/kepler.yaml');
/** A value that exists only in the CLI's environment: it must never be printed by `kepler config`. */
const SECRET = 'kepler-e2e-secret-7f3a9c';
/** No daemon lives here: `kepler config` must work regardless. */
const NO_DAEMON_ENV = { KEPLER_DAEMON_PATH: '/nonexistent/kepler-e2e-no-daemon', KEPLER_E2E_SECRET: SECRET };

/** Every command with its path, for the help checks. */
const COMMANDS = [
  'start',
  'stop',
  'restart',
  'ps',
  'logs',
  'recreate',
  'prune',
  'config',
  'daemon start',
  'daemon stop',
  'daemon restart',
  'daemon status',
];

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'kepler-e2e-config-'));
  chmodSync(tmp, 0o755); // the non-root test reads configs from here
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A fresh directory under the test's temp dir holding `files`. */
function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmp, 'case-'));
  chmodSync(dir, 0o755);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** Output of a user mistake: no stack trace, no internal-error banner. */
function expectNoStack(text: string): void {
  expect(text).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  expect(text).not.toContain('Internal error');
}

describe('kepler config prints the baked config', () => {
  test(
    '-f examples/full/kepler.yaml: YAML on stdout, exit 0, without the captured environment',
    async () => {
      const r = await runCli(['config', '-f', FULL], { env: NO_DAEMON_ENV });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const data = parseYaml(r.stdout) as Record<string, unknown>;
      // Issue 13: the config's own vocabulary; where it came from is under the extension key x-kepler.
      expect(data['x-kepler']).toMatchObject({ source: FULL });
      expect(Object.keys(data.services as object).sort()).toEqual(['backend', 'database', 'frontend']);
      // The user's shell environment is part of the snapshot but must stay off the screen.
      expect(data).not.toHaveProperty('capturedEnv');
      expect(r.stdout).not.toContain(SECRET);
    },
    T,
  );

  test(
    '--json prints the same data as JSON',
    async () => {
      const [yaml, json] = await Promise.all([
        runCli(['config', '-f', FULL], { env: NO_DAEMON_ENV }),
        runCli(['config', '-f', FULL, '--json'], { env: NO_DAEMON_ENV }),
      ]);
      expect(json.code).toBe(0);
      const data = JSON.parse(json.stdout) as Record<string, unknown>;
      expect(json.stdout).not.toContain(SECRET);
      expect(data).not.toHaveProperty('capturedEnv');
      expect(data).toEqual(parseYaml(yaml.stdout));
    },
    T,
  );

  test(
    '-f works before and after the command, and as --file=',
    async () => {
      const forms = [
        ['config', '-f', FULL, '--json'],
        ['-f', FULL, 'config', '--json'],
        ['--file', FULL, 'config', '--json'],
        ['config', `--file=${FULL}`, '--json'],
      ];
      const results = await Promise.all(forms.map((args) => runCli(args, { env: NO_DAEMON_ENV })));
      const hashes = results.map((r) => {
        expect(r.code).toBe(0);
        return (JSON.parse(r.stdout) as { 'x-kepler': { hash: string } })['x-kepler'].hash;
      });
      expect(new Set(hashes).size).toBe(1);
    },
    T,
  );

  test(
    'each bundled example bakes',
    async () => {
      for (const example of ['full', 'lua', 'chain']) {
        const r = await runCli(['config', '-f', join(REPO, 'examples', example, 'kepler.yaml'), '--json'], {
          env: NO_DAEMON_ENV,
        });
        expect({ example, code: r.code, stderr: r.stderr }).toEqual({ example, code: 0, stderr: '' });
      }
    },
    T,
  );
});

describe("kepler config speaks the file's vocabulary (issue 13)", () => {
  test(
    "keys and units as written, --services, --hash, and Lua's ctx.env seeing the CLI's environment",
    async () => {
      const dir = dirWith({
        'kepler.yaml': [
          'lua: |',
          '  function get_port()',
          '    return ctx.env.PORT or "8080"',
          '  end',
          'kepler:',
          '  logs: { max_size: 50MB }',
          'services:',
          '  web:',
          '    command: !lua return {"node", "server.js", "--port", get_port()}',
          '    working_dir: ./web',
          '    depends_on: [db]',
          '  db:',
          '    command: postgres -D "/var/lib/my db"',
          '',
        ].join('\n'),
      });
      const env = { ...NO_DAEMON_ENV, PORT: '9000' };
      const [yaml, services, hash] = await Promise.all([
        runCli(['config'], { cwd: dir, env }),
        runCli(['config', '--services'], { cwd: dir, env }),
        runCli(['config', '--hash'], { cwd: dir, env }),
      ]);
      expect(yaml.stderr).toBe('');
      expect(yaml.code).toBe(0);
      expect(yaml.stdout).toContain('stop_grace_period: 10s');
      expect(yaml.stdout).toContain('max_size: 50MB');
      expect(yaml.stdout).not.toMatch(/workingDir|timeoutMs|maxSizeBytes|sysEnv|dependsOn/);
      const data = parseYaml(yaml.stdout) as {
        'x-kepler': { hash: string };
        services: Record<string, Record<string, unknown>>;
      };
      expect(data.services.web).toMatchObject({
        // sys_env is clear, yet the seed's `ctx.env.PORT or "8080"` sees the CLI's PORT.
        command: ['node', 'server.js', '--port', '9000'],
        working_dir: join(dir, 'web'),
        depends_on: { db: { condition: 'service_started' } },
        sys_env: 'clear',
      });
      expect(data.services.web).not.toHaveProperty('environment');
      expect(data.services.db?.command).toEqual(['postgres', '-D', '/var/lib/my db']);
      expect(services).toMatchObject({ code: 0, stdout: 'web\ndb\n' });
      expect(hash.code).toBe(0);
      expect(hash.stdout).toBe(`${data['x-kepler'].hash}\n`);
    },
    T,
  );
});

describe('default config file lookup in the current directory', () => {
  const config = (cmd: string) => `services:\n  app:\n    command: ["${cmd}"]\n`;

  test(
    'kepler.yaml is used when present',
    async () => {
      const dir = dirWith({ 'kepler.yaml': config('from-yaml'), 'kepler.yml': config('from-yml') });
      const r = await runCli(['config', '--json'], { cwd: dir, env: NO_DAEMON_ENV });
      expect(r.code).toBe(0);
      const data = JSON.parse(r.stdout) as {
        'x-kepler': { source: string };
        services: { app: { command: string[] } };
      };
      expect(data['x-kepler'].source).toBe(join(dir, 'kepler.yaml'));
      expect(data.services.app.command).toEqual(['from-yaml']);
    },
    T,
  );

  test(
    'kepler.yml is the fallback',
    async () => {
      const dir = dirWith({ 'kepler.yml': config('from-yml') });
      const r = await runCli(['config', '--json'], { cwd: dir, env: NO_DAEMON_ENV });
      expect(r.code).toBe(0);
      const data = JSON.parse(r.stdout) as {
        'x-kepler': { source: string };
        services: { app: { command: string[] } };
      };
      expect(data['x-kepler'].source).toBe(join(dir, 'kepler.yml'));
      expect(data.services.app.command).toEqual(['from-yml']);
    },
    T,
  );

  test(
    'neither: one line naming both, exit 1',
    async () => {
      const dir = dirWith({});
      const r = await runCli(['config'], { cwd: dir, env: NO_DAEMON_ENV });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('kepler.yaml');
      expect(r.stderr).toContain('kepler.yml');
      expectNoStack(r.stderr);
    },
    T,
  );
});

describe('an invalid config prints every issue and exits 1', () => {
  test(
    'every issue with file:line:column and key path, did-you-mean for unknown keys, no stack',
    async () => {
      const dir = dirWith({
        'kepler.yaml': [
          'services:',
          '  web:',
          '    command: ["sleep", "10"]',
          '    healthcheck:',
          '      test: ["true"]',
          '      interval: 10x',
          '    restrat: always',
          '  api:',
          '    comand: ["x"]',
          '    depends_on: [nope]',
          '',
        ].join('\n'),
      });
      const r = await runCli(['config'], { cwd: dir, env: NO_DAEMON_ENV });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expectNoStack(r.stderr);
      const lines = r.stderr.trim().split('\n');
      // Every line is one issue: file:line:col key.path: message.
      for (const line of lines) expect(line).toMatch(/^kepler\.yaml:\d+:\d+ [a-z_.\-\d]+: .+/);
      expect(lines).toEqual(
        expect.arrayContaining([
          'kepler.yaml:6:17 services.web.healthcheck.interval: "10x" is not a duration (use 100ms, 10s, 5m, 1h, 1d)',
          'kepler.yaml:7:5 services.web.restrat: unknown key "restrat" (did you mean "restart"?)',
          'kepler.yaml:9:5 services.api.comand: unknown key "comand" (did you mean "command"?)',
        ]),
      );
      expect(r.stderr).toMatch(/^kepler\.yaml:\d+:\d+ services\.api\S*: missing required key "command"$/m);
      expect(r.stderr).toMatch(/^kepler\.yaml:10:\d+ services\.api\.depends_on\S*: unknown service "nope"$/m);
    },
    T,
  );

  test(
    'a dependency cycle is spelled out',
    async () => {
      const dir = dirWith({
        'kepler.yaml': [
          'services:',
          '  a:',
          '    command: ["true"]',
          '    depends_on: [b]',
          '  b:',
          '    command: ["true"]',
          '    depends_on: [c]',
          '  c:',
          '    command: ["true"]',
          '    depends_on: [a]',
          '',
        ].join('\n'),
      });
      const r = await runCli(['config'], { cwd: dir, env: NO_DAEMON_ENV });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /kepler\.yaml:\d+:\d+ services\.\S+: .*\b(a -> b -> c -> a|b -> c -> a -> b|c -> a -> b -> c)\b/,
      );
      expectNoStack(r.stderr);
    },
    T,
  );

  test(
    'invalid YAML reports its position',
    async () => {
      const dir = dirWith({ 'bad.yaml': 'services:\n  a: [\n' });
      const r = await runCli(['config', '-f', 'bad.yaml'], { cwd: dir, env: NO_DAEMON_ENV });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^bad\.yaml:\d+:\d+:? .*invalid YAML/m);
      expectNoStack(r.stderr);
    },
    T,
  );

  test(
    'a missing -f file: one line, exit 1',
    async () => {
      const r = await runCli(['config', '-f', join(tmp, 'missing.yaml')], { env: NO_DAEMON_ENV });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('missing.yaml');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expectNoStack(r.stderr);
    },
    T,
  );
});

describe('version, help and flags', () => {
  test(
    'kepler --version prints the package version',
    async () => {
      const version = (
        JSON.parse(readFileSync(join(REPO, 'packages/cli/package.json'), 'utf8')) as { version: string }
      ).version;
      const r = await runCli(['--version']);
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(`kepler ${version}`);
    },
    T,
  );

  test(
    'kepler --help lists every command',
    async () => {
      const r = await runCli(['--help']);
      expect(r.code).toBe(0);
      for (const cmd of COMMANDS) expect(r.stdout).toContain(`kepler ${cmd}`);
    },
    T,
  );

  test.each(COMMANDS)(
    'kepler %s --help shows a description and examples',
    async (cmd) => {
      const r = await runCli([...cmd.split(' '), '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Examples');
      expect(r.stdout).toContain(`$ kepler ${cmd}`);
      expect(r.stdout).toMatch(/Usage/);
    },
    T,
  );

  test(
    'an unknown flag names the flag and exits 1',
    async () => {
      for (const args of [
        ['config', '--bogus'],
        ['ps', '--nope'],
        ['daemon', 'status', '--zzz'],
      ]) {
        const r = await runCli(args, { env: NO_DAEMON_ENV });
        const flag = args[args.length - 1] as string;
        expect({ args, code: r.code }).toEqual({ args, code: 1 });
        expect(r.stderr).toContain(flag);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expectNoStack(r.stderr);
      }
    },
    T,
  );

  test(
    'an unknown command says so and exits 1',
    async () => {
      const r = await runCli(['frobnicate']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('frobnicate');
      expectNoStack(r.stderr);
    },
    T,
  );
});

describe('kepler config needs no daemon and no root', () => {
  let user: TestUser;
  beforeAll(() => {
    user = ensureUser('keplerout');
  }, T);

  test(
    'as a non-root user (keplerout), with no daemon',
    async () => {
      const dir = dirWith({
        'kepler.yaml': 'services:\n  app:\n    command: ["sleep", "1"]\n    working_dir: ~/x\n',
      });
      const r = await runCliAs(user, ['config', '--json'], { cwd: dir, env: NO_DAEMON_ENV });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const data = JSON.parse(r.stdout) as { 'x-kepler': { source: string } };
      expect(data['x-kepler'].source).toBe(join(dir, 'kepler.yaml'));
      const full = await runCliAs(user, ['config', '-f', FULL], { cwd: dir, env: NO_DAEMON_ENV });
      expect(full.code).toBe(0);
      expect((parseYaml(full.stdout) as { 'x-kepler': { source: string } })['x-kepler'].source).toBe(FULL);
    },
    T,
  );
});
