// biome-ignore-all lint/suspicious/noTemplateCurlyInString: environment values use literal shell expansion syntax
/** Overlays: several `-f` files merged with docker compose's rules, positions naming their file. */
import { join } from 'node:path';
import { ConfigError } from './errors.js';
import { formatIssue } from './issues.js';
import { loadConfig } from './loadConfig.js';
import { cleanupTmpDirs, TEST_ENV, tmpDirWith } from './testkit/tmpConfig.js';
import type { BakedConfig } from './types.js';

afterAll(cleanupTmpDirs);

const y = (...lines: string[]) => `${lines.join('\n')}\n`;

/** Bakes `files[names[0]]` with the other named files as overlays, in order. */
async function bakeFiles(
  files: Readonly<Record<string, string>>,
  names: readonly string[] = Object.keys(files),
): Promise<BakedConfig> {
  const dir = tmpDirWith(files);
  const [first, ...rest] = names.map((name) => join(dir, name));
  return loadConfig({
    path: first as string,
    overlays: rest,
    env: TEST_ENV,
    now: new Date('2030-01-01T00:00:00Z'),
    onLuaPrint: () => {},
  });
}

/** The formatted issues of a load expected to fail (file names relative to the temp dir). */
async function errorsOfFiles(files: Readonly<Record<string, string>>): Promise<string[]> {
  try {
    await bakeFiles(files);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues.map((issue) => formatIssue({ ...issue, file: issue.file.replace(/^.*\//, '') }));
  }
  throw new Error('expected the config to be invalid, but it baked');
}

const BASE = y(
  'services:',
  '  web:',
  '    command: ["node", "server.js", "--port", "80"]',
  '    stop_signal: SIGINT',
  '    environment:',
  '      PORT: "80"',
  '      MODE: dev',
  '  db:',
  '    command: ["postgres"]',
);

describe('mappings and scalars', () => {
  it('merges maps key by key: scalars replaced, new keys and services added', async () => {
    const baked = await bakeFiles({
      'kepler.yaml': BASE,
      'kepler.prod.yaml': y(
        'services:',
        '  web:',
        '    stop_signal: SIGTERM',
        '    stop_grace_period: 3s',
        '  cache:',
        '    command: ["redis-server"]',
      ),
    });
    expect(baked.services.web?.stopSignal).toBe('SIGTERM');
    expect(baked.services.web?.stopGracePeriodMs).toBe(3000);
    expect(baked.services.web?.command).toEqual(['node', 'server.js', '--port', '80']);
    expect(baked.serviceOrder).toEqual(['web', 'db', 'cache']);
  });

  it('replaces command and other sequences as a whole (never appends)', async () => {
    const baked = await bakeFiles({
      'kepler.yaml': y(
        'services:',
        '  web:',
        '    command: ["node", "server.js", "--port", "80"]',
        '    restart: {policy: always, watch: ["src/**/*.js", "lib/**"]}',
      ),
      'kepler.prod.yaml': y(
        'services:',
        '  web:',
        '    command: ["node", "dist/server.js"]',
        '    restart: {watch: ["dist/**"]}',
      ),
    });
    expect(baked.services.web?.command).toEqual(['node', 'dist/server.js']);
    expect(baked.services.web?.restart.watch).toEqual(['dist/**']);
    expect(baked.services.web?.restart.policy).toBe('always');
  });

  it('merges `restart: on-failure` with the map form as its policy', async () => {
    const baked = await bakeFiles({
      'kepler.yaml': y(
        'services:',
        '  web:',
        '    command: [a]',
        '    restart: {policy: always, watch: ["*.js"]}',
      ),
      'kepler.prod.yaml': y('services:', '  web:', '    restart: on-failure'),
    });
    expect(baked.services.web?.restart.policy).toBe('on-failure');
    expect(baked.services.web?.restart.watch).toHaveLength(1);
  });

  it("an overlay's probe or hook body replaces the other file's, so one remains", async () => {
    const baked = await bakeFiles({
      'kepler.yaml': y(
        'services:',
        '  web:',
        '    command: [a]',
        '    healthcheck: {test: ["true"], interval: 5s}',
        '    hooks:',
        '      pre_start: {run: "echo base", user: nobody}',
      ),
      'kepler.prod.yaml': y(
        'services:',
        '  web:',
        '    healthcheck: {http: "http://127.0.0.1:80/health"}',
        '    hooks:',
        '      pre_start: {command: ["echo", "prod"]}',
      ),
    });
    const web = baked.services.web;
    expect(web?.healthcheck?.probe).toEqual({ kind: 'http', url: 'http://127.0.0.1:80/health' });
    expect(web?.healthcheck?.intervalMs).toBe(5000);
    expect(web?.hooks.pre_start?.command).toEqual(['echo', 'prod']);
    expect(web?.hooks.pre_start?.run).toBeNull();
    expect(web?.hooks.pre_start?.user).toBe('nobody');
  });
});

describe('environment merges by key', () => {
  const envOf = async (base: string[], overlay: string[]) =>
    (
      await bakeFiles({
        'kepler.yaml': y('services:', '  web:', '    command: [a]', '    environment:', ...base),
        'kepler.prod.yaml': y('services:', '  web:', '    environment:', ...overlay),
      })
    ).services.web?.environment;

  it('map over map', async () => {
    expect(await envOf(['      A: "1"', '      B: "2"'], ['      B: "20"', '      C: "30"'])).toEqual({
      A: '1',
      B: '20',
      C: '30',
    });
  });

  it('list over list', async () => {
    expect(await envOf(['      - A=1', '      - B=2'], ['      - B=20', '      - C=30'])).toEqual({
      A: '1',
      B: '20',
      C: '30',
    });
  });

  it('map over list and list over map', async () => {
    expect(await envOf(['      - A=1', '      - B=2'], ['      B: "20"', '      C: 30'])).toEqual({
      A: '1',
      B: '20',
      C: '30',
    });
    expect(await envOf(['      A: "1"', '      B: "2"'], ['      - B=20', '      - C=x=y'])).toEqual({
      A: '1',
      B: '20',
      C: 'x=y',
    });
  });

  it('keeps expansion order: a later value sees the merged earlier ones', async () => {
    expect(
      await envOf(['      HOST: localhost', '      URL: http://${HOST}:80'], ['      HOST: db.internal']),
    ).toEqual({ HOST: 'db.internal', URL: 'http://db.internal:80' });
  });

  it('a list item that is not KEY=value cannot merge with a map, and says so in its file', async () => {
    expect(
      await errorsOfFiles({
        'kepler.yaml': y('services:', '  web:', '    command: [a]', '    environment: {A: "1"}'),
        'kepler.prod.yaml': y('services:', '  web:', '    environment:', '      - JUSTNAME'),
      }),
    ).toEqual([
      "kepler.prod.yaml:4:9 services.web.environment[0]: cannot be merged with the other file's map form: write KEY=value, or use the map form in both",
    ]);
  });
});

describe('depends_on merges by service', () => {
  const files = (base: string[], overlay: string[]) => ({
    'kepler.yaml': y(
      'services:',
      '  db:',
      '    command: [db]',
      '    healthcheck: {test: ["true"]}',
      '  cache:',
      '    command: [cache]',
      '  web:',
      '    command: [a]',
      '    depends_on:',
      ...base,
    ),
    'kepler.prod.yaml': y('services:', '  web:', '    depends_on:', ...overlay),
  });

  it('list over list: the union', async () => {
    const baked = await bakeFiles(files(['      - db'], ['      - cache', '      - db']));
    expect(Object.keys(baked.services.web?.dependsOn ?? {})).toEqual(['db', 'cache']);
  });

  it('a bare name keeps the edge; a map merges its settings', async () => {
    const baked = await bakeFiles(
      files(
        [
          '      db: {condition: service_healthy, restart: true}',
          '      cache: {condition: service_started}',
        ],
        ['      - db', '      - cache'],
      ),
    );
    expect(baked.services.web?.dependsOn.db?.condition).toBe('service_healthy');
    expect(baked.services.web?.dependsOn.db?.restart).toBe(true);
    const merged = await bakeFiles(
      files(['      - db', '      - cache'], ['      db: {condition: service_healthy}']),
    );
    expect(merged.services.web?.dependsOn.db?.condition).toBe('service_healthy');
    expect(Object.keys(merged.services.web?.dependsOn ?? {})).toEqual(['db', 'cache']);
    const deep = await bakeFiles(
      files(['      db: {condition: service_healthy, restart: true}'], ['      db: {timeout: 5s}']),
    );
    expect(deep.services.web?.dependsOn.db).toMatchObject({
      condition: 'service_healthy',
      restart: true,
      timeoutMs: 5000,
    });
  });
});

describe("compose's !reset and !override", () => {
  it('!reset removes a key, an environment variable or a dependency; a later overlay may set it again', async () => {
    const baked = await bakeFiles(
      {
        'kepler.yaml': y(
          'services:',
          '  db:',
          '    command: [db]',
          '  web:',
          '    command: [a]',
          '    healthcheck: {test: ["true"]}',
          '    stop_signal: SIGINT',
          '    environment: [A=1, B=2]',
          '    depends_on: [db]',
        ),
        'one.yaml': y(
          'services:',
          '  web:',
          '    healthcheck: !reset null',
          '    stop_signal: !reset',
          '    environment: {B: !reset null}',
          '    depends_on: {db: !reset null}',
        ),
        'two.yaml': y('services:', '  web:', '    stop_signal: SIGHUP'),
      },
      ['kepler.yaml', 'one.yaml', 'two.yaml'],
    );
    const web = baked.services.web;
    expect(web?.healthcheck).toBeNull();
    expect(web?.environment).toEqual({ A: '1' });
    expect(web?.dependsOn).toEqual({});
    expect(web?.stopSignal).toBe('SIGHUP');
  });

  it('!override replaces a map or environment instead of merging it', async () => {
    const baked = await bakeFiles({
      'kepler.yaml': y(
        'services:',
        '  web:',
        '    command: [a]',
        '    environment: {A: "1", B: "2"}',
        '    healthcheck: {test: ["true"], interval: 5s}',
      ),
      'kepler.prod.yaml': y(
        'services:',
        '  web:',
        '    environment: !override {C: "3"}',
        '    healthcheck: !override {tcp: "127.0.0.1:80"}',
      ),
    });
    expect(baked.services.web?.environment).toEqual({ C: '3' });
    expect(baked.services.web?.healthcheck?.intervalMs).toBe(30_000);
  });

  it('in a single file, !reset drops its key', async () => {
    const baked = await bakeFiles({
      'kepler.yaml': y('services:', '  web:', '    command: [a]', '    stop_signal: !reset SIGINT'),
    });
    expect(baked.services.web?.stopSignal).toBe('SIGTERM');
  });
});

describe('positions and identity', () => {
  it("an error in a value from the overlay names the overlay's file:line:col", async () => {
    expect(
      await errorsOfFiles({
        'kepler.yaml': BASE,
        'kepler.prod.yaml': y(
          'services:',
          '  web:',
          '    stop_grace_period: 10x',
          '  db:',
          '    stop_signal: SIGBOGUS',
        ),
      }),
    ).toEqual([
      expect.stringMatching(/^kepler\.prod\.yaml:3:24 services\.web\.stop_grace_period: /),
      expect.stringMatching(/^kepler\.prod\.yaml:5:18 services\.db\.stop_signal: /),
    ]);
  });

  it('problems of both files are listed, the first file first', async () => {
    const errors = await errorsOfFiles({
      'kepler.yaml': y('services:', '  web:', '    command: [a]', '    stop_signal: NOPE'),
      'kepler.prod.yaml': y('services:', '  web:', '    stop_grace_period: soon'),
    });
    expect(errors.map((e) => e.split(' ')[0])).toEqual(['kepler.yaml:4:18', 'kepler.prod.yaml:3:24']);
  });

  it('a YAML error in the overlay names the overlay', async () => {
    const errors = await errorsOfFiles({
      'kepler.yaml': BASE,
      'kepler.prod.yaml': y('services:', '  web: [unclosed'),
    });
    expect(errors[0]).toMatch(/^kepler\.prod\.yaml:\d+:\d+: invalid YAML/);
  });

  it('the identity, directory and relative paths are the first file’s; the snapshot lists the overlays', async () => {
    const dir = tmpDirWith({
      'kepler.yaml': BASE,
      'app.env': 'FROM_FILE=1\n',
      'deploy/prod.yaml': y('services:', '  web:', '    env_file: app.env', '    working_dir: web'),
    });
    const baked = await loadConfig({
      path: join(dir, 'kepler.yaml'),
      overlays: [join(dir, 'deploy/prod.yaml')],
      env: TEST_ENV,
    });
    expect(baked.sourcePath).toBe(join(dir, 'kepler.yaml'));
    expect(baked.configDir).toBe(dir);
    expect(baked.overlays).toEqual([join(dir, 'deploy/prod.yaml')]);
    expect(baked.services.web?.envFile).toBe(join(dir, 'app.env'));
    expect(baked.services.web?.workingDir).toBe(join(dir, 'web'));
    const alone = await loadConfig({ path: join(dir, 'kepler.yaml'), env: TEST_ENV });
    expect('overlays' in alone).toBe(false);
    expect(alone.hash).not.toBe(baked.hash);
  });

  it('a missing overlay is CONFIG_NOT_FOUND naming it', async () => {
    const dir = tmpDirWith({ 'kepler.yaml': BASE });
    await expect(
      loadConfig({ path: join(dir, 'kepler.yaml'), overlays: [join(dir, 'nope.yaml')], env: TEST_ENV }),
    ).rejects.toMatchObject({ code: 'CONFIG_NOT_FOUND', message: expect.stringContaining('nope.yaml') });
  });
});

describe('Lua in overlays', () => {
  it('evaluates !lua and !lua_file (relative to the overlay) after the merge; every lua: block runs', async () => {
    const baked = await bakeFiles(
      {
        'kepler.yaml': y(
          'lua: |',
          '  function base_port() return "80" end',
          'services:',
          '  web:',
          '    command: [a]',
          '    environment:',
          '      PORT: !lua return base_port()',
        ),
        'prod/kepler.prod.yaml': y(
          'lua: |',
          '  function prod_mode() return "prod" end',
          'services:',
          '  web:',
          '    command: !lua_file cmd.lua',
          '    environment:',
          '      MODE: !lua return prod_mode()',
          '    working_dir: !lua return "w" .. ctx.env.PORT',
        ),
        'prod/cmd.lua': 'return {"node", "prod.js"}\n',
      },
      ['kepler.yaml', 'prod/kepler.prod.yaml'],
    );
    expect(baked.services.web?.command).toEqual(['node', 'prod.js']);
    expect(baked.services.web?.environment).toEqual({ PORT: '80', MODE: 'prod' });
    // The overlay's Lua sees the merged service (the base's PORT).
    expect(baked.services.web?.workingDir).toBe(join(baked.configDir, 'w80'));
  });

  it("a Lua error in the overlay names the overlay's line", async () => {
    const errors = await errorsOfFiles({
      'kepler.yaml': BASE,
      'kepler.prod.yaml': y(
        'services:',
        '  web:',
        '    environment:',
        '      MODE: !lua |',
        '        error("boom")',
      ),
    });
    expect(errors).toEqual([
      expect.stringMatching(/^kepler\.prod\.yaml:5 services\.web\.environment\.MODE: Lua error: .*boom/),
    ]);
  });
});
