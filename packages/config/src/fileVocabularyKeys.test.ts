/**
 * `serviceToFileVocabulary` (`inspect`'s settings, `kepler config`'s services) covers every key a
 * service can have: the list comes from the schema, so a key added there without a mapping fails here.
 */
import { serviceToFileVocabulary } from './fileVocabulary.js';
import { KEPLER_JSON_SCHEMA } from './schema/index.js';
import type { JsonSchema } from './schema/kit/index.js';
import { bakeYaml, cleanupTmpDirs, TEST_ENV } from './testkit/tmpConfig.js';

afterAll(cleanupTmpDirs);

const y = (...lines: string[]) => `${lines.join('\n')}\n`;

/** Schema keys with no key of their own in the mapped service, and why. */
const NOT_MAPPED: Readonly<Record<string, string>> = {
  'hooks.*.env_file': "baked into the hook's environment, which is shown instead",
};

/** Sections keyed by a name the user picks: one `*` stands for every name. */
const NAMED = new Set(['depends_on', 'hooks']);

type Json = { readonly [key: string]: unknown };

/** Every key path a service's schema allows (`restart.backoff.reset_after`), names as `*`. */
function schemaPaths(): Set<string> {
  const definitions = KEPLER_JSON_SCHEMA.definitions as Readonly<Record<string, JsonSchema>>;
  const out = new Set<string>();
  const walk = (node: JsonSchema, path: string): void => {
    const ref = node.$ref;
    if (typeof ref === 'string') {
      const target = definitions[ref.split('/').at(-1) ?? ''];
      if (target) walk(target, path);
      return;
    }
    const variants = [node.anyOf, node.oneOf].flatMap((v) => (Array.isArray(v) ? (v as JsonSchema[]) : []));
    for (const variant of variants) walk(variant, path);
    const props = (node.properties ?? {}) as Readonly<Record<string, JsonSchema>>;
    for (const [key, value] of Object.entries(props)) {
      const parent = path.split('.').at(-1) ?? '';
      const next = path === '' ? key : `${path}.${NAMED.has(parent) ? '*' : key}`;
      out.add(next);
      walk(value, next);
    }
    const more = node.additionalProperties;
    if (typeof more === 'object' && more !== null) walk(more as JsonSchema, `${path}.*`);
  };
  const service = definitions.service;
  if (!service) throw new Error('the schema has no service definition');
  walk(service, '');
  return new Set([...out].filter((p) => !p.endsWith('.*')));
}

/** Every key path of a mapped service, names as `*`; not into the environment's variables. */
function mappedPaths(section: Json, path = '', out = new Set<string>()): Set<string> {
  const parent = path.split('.').at(-1) ?? '';
  for (const [key, value] of Object.entries(section)) {
    const next = path === '' ? key : `${path}.${NAMED.has(parent) ? '*' : key}`;
    if (!next.endsWith('.*')) out.add(next);
    const isSection = typeof value === 'object' && value !== null && !Array.isArray(value);
    if (isSection && key !== 'environment') mappedPaths(value as Json, next, out);
  }
  return out;
}

/** Services that together set every key (the health check's three probes need three services). */
const EVERY_KEY = y(
  'services:',
  '  full:',
  '    command: ["./server", "--fork"]',
  '    working_dir: ./app',
  '    depends_on:',
  '      job:',
  '        condition: service_failed',
  '        timeout: 1h30m15s',
  '        restart: true',
  '        exit_code: [5, "1:10"]',
  '        wait: false',
  '        required: false',
  '    environment: { A: "1" }',
  '    env_file: .env',
  '    sys_env: inherit',
  '    restart:',
  '      policy: on-failure',
  '      watch: ["src/**"]',
  '      backoff: { initial: 1s, multiplier: 3, max: 1m, reset_after: 1h }',
  '      max_retries: 4',
  '    healthcheck:',
  '      test: ["true"]',
  '      interval: 5s',
  '      timeout: 1s',
  '      retries: 2',
  '      start_period: 2s',
  '      on_unhealthy: restart',
  '      start_timeout: 1m',
  '    hooks:',
  '      pre_start:',
  '        command: ["./migrate"]',
  '        user: root',
  '        group: wheel',
  '        working_dir: /tmp',
  '        environment: [STEP=1]',
  '        env_file: .env',
  '      post_stop: { run: echo bye }',
  '    user: app',
  '    group: staff',
  '    logs:',
  '      max_size: 50MB',
  '      buffer_size: 4096',
  '      timestamp: false',
  '      store: { stdout: true, stderr: false }',
  '      retention: { on_start: clear, on_stop: retain, on_restart: clear, on_exit: clear }',
  '    limits: { memory: 512MB, cpu_time: 60, max_fds: 1024 }',
  '    stop_signal: INT',
  '    stop_grace_period: 25h1m1s',
  '    priority: 3',
  '    type: forking',
  '    pid_file: run/server.pid',
  '    start_timeout: 45s',
  '    stop_command: ["./server", "--stop"]',
  '    port: 8080',
  '    hostname: full.localhost',
  '  job:',
  '    command: ["true"]',
  '    healthcheck: { http: "http://127.0.0.1:9/health" }',
  '  probe:',
  '    command: ["true"]',
  '    healthcheck: { tcp: "127.0.0.1:9" }',
);

async function everyKey() {
  const env = { ...TEST_ENV, FROM_CLI: 'yes' };
  const baked = await bakeYaml(EVERY_KEY, { env, files: { '.env': 'FROM_FILE=1\n' } });
  const names = ['full', 'job', 'probe'] as const;
  const services = names.map((name) => {
    const service = baked.services[name];
    if (!service) throw new Error(`no ${name}`);
    return service;
  });
  return { baked, services, mapped: services.map((s) => serviceToFileVocabulary(s)) };
}

describe('serviceToFileVocabulary', () => {
  it('maps every key the schema gives a service, and no key the schema lacks', async () => {
    const { mapped } = await everyKey();
    const got = new Set<string>();
    for (const service of mapped) mappedPaths(service, '', got);
    const want = schemaPaths();
    const missing = [...want].filter((p) => !got.has(p) && !(p in NOT_MAPPED));
    // A key here is in the schema but not mapped (fileVocabulary.ts), or EVERY_KEY does not set it.
    expect(missing).toEqual([]);
    expect([...got].filter((p) => !want.has(p))).toEqual([]);
    expect(want.size).toBeGreaterThan(50);
  });

  it('gives each baked field of a service its file key', async () => {
    const { services, mapped } = await everyKey();
    const [full, fullMapped] = [services[0], mapped[0]];
    // Every baked field but the name (the file keys services by name) is set in `full`.
    const baked = Object.keys(full ?? {}).filter((k) => k !== 'name');
    expect(Object.keys(fullMapped ?? {})).toHaveLength(baked.length);
    expect(Object.keys(fullMapped ?? {})).not.toContain('name');
  });

  it('spells keys and units as the file does', async () => {
    const { baked, mapped } = await everyKey();
    const [full, job, probe] = mapped;
    expect(full).toMatchObject({
      working_dir: `${baked.configDir}/app`,
      depends_on: {
        job: {
          condition: 'service_failed',
          timeout: '5415s',
          restart: true,
          exit_code: [5, '1:10'],
          wait: false,
          required: false,
        },
      },
      restart: {
        policy: 'on-failure',
        backoff: { initial: '1s', multiplier: 3, max: '1m', reset_after: '1h' },
        max_retries: 4,
      },
      healthcheck: { test: ['true'], interval: '5s', start_timeout: '1m', on_unhealthy: 'restart' },
      hooks: { pre_start: { user: 'root', working_dir: '/tmp' }, post_stop: { run: 'echo bye' } },
      logs: { max_size: '50MB', buffer_size: 4096, retention: { on_stop: 'retain' } },
      limits: { memory: '512MB', cpu_time: 60, max_fds: 1024 },
      stop_signal: 'SIGINT',
      // 25h1m1s: the largest exact unit, not two units cut short.
      stop_grace_period: '90061s',
      start_timeout: '45s',
      port: 8080,
      hostname: 'full.localhost',
    });
    expect(job?.healthcheck).toMatchObject({ http: 'http://127.0.0.1:9/health' });
    expect(probe?.healthcheck).toMatchObject({ tcp: '127.0.0.1:9' });
  });

  it('shows the environment whole unless told what came from the CLI', async () => {
    const { baked, services } = await everyKey();
    const full = services[0];
    if (!full) throw new Error('no full');
    expect(serviceToFileVocabulary(full).environment).toMatchObject({
      A: '1',
      FROM_FILE: '1',
      FROM_CLI: 'yes',
    });
    const inherited = serviceToFileVocabulary(full, baked.capturedEnv).environment;
    expect(inherited).toEqual({ A: '1', FROM_FILE: '1' });
  });
});
