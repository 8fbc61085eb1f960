import { call, type HttpDaemon, type Json, startHttpDaemon } from '../http/httpkit.js';
import { waitFor } from '../testkit.js';
import { parsePrometheusText, sampleOf } from './prometheusText.js';

/** Generous: two cores shared with other suites. */
const T = 90_000;

let h: HttpDaemon;
let config: string;
beforeAll(async () => {
  h = await startHttpDaemon('kepler-http-metrics');
  // A label value with every character the format escapes: the config's path.
  config = h.daemon.writeConfig(
    `services:
  busy:
    command: ["sh", "-c", "while :; do :; done"]
  crasher:
    command: ["sh", "-c", "echo going down; exit 5"]
    restart: "no"
`,
    'we"ird\\dir/kepler.yaml',
  );
  expect((await h.daemon.cli(['start', '-d', '-f', config])).code).toBe(0);
  await h.daemon.waitStatus(config, 'busy', 'running');
  await h.daemon.waitStatus(config, 'crasher', 'failed');
}, T);
afterAll(() => h?.daemon.cleanup(), T);

test(
  'GET /metrics needs the token and answers the Prometheus text format, parsed strictly',
  async () => {
    expect((await call(h, '/metrics', { token: null })).status).toBe(401);
    expect((await call(h, '/metrics', { token: 'x'.repeat(64) })).status).toBe(401);
    const r = await call(h, '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const families = parsePrometheusText(r.body as string);
    expect(families.get('kepler_service_cpu_seconds_total')?.type).toBe('counter');
    expect(families.get('kepler_service_up')?.type).toBe('gauge');
    expect(sampleOf(families, 'kepler_service_up', config, 'busy')).toBe(1);
    expect(sampleOf(families, 'kepler_service_up', config, 'crasher')).toBe(0);
    expect(sampleOf(families, 'kepler_service_restarts_total', config, 'crasher')).toBe(0);
    expect(sampleOf(families, 'kepler_service_memory_bytes', config, 'busy')).toBeGreaterThan(0);
    expect(sampleOf(families, 'kepler_service_uptime_seconds', config, 'crasher')).toBe(0);
    // The busy service's CPU counter grows from one scrape to a later one.
    const first = sampleOf(families, 'kepler_service_cpu_seconds_total', config, 'busy')!;
    await waitFor(
      async () => {
        const again = parsePrometheusText((await call(h, '/metrics')).body as string);
        return (sampleOf(again, 'kepler_service_cpu_seconds_total', config, 'busy') ?? 0) > first;
      },
      'a later scrape to count more CPU',
      { timeoutMs: 15_000, intervalMs: 300 },
    );
  },
  T,
);

test(
  "GET /api/v1/top and /api/v1/inspect answer top --json's rows and inspect --json's object",
  async () => {
    const top = await call(h, '/api/v1/top');
    expect(top.status).toBe(200);
    const busy = (top.body.services as Json[]).find((s) => s.name === 'busy');
    expect(busy).toMatchObject({ config, status: 'running' });
    expect(busy.cpu_percent).toBeGreaterThan(0);
    expect(busy.memory_bytes).toBeGreaterThan(0);

    const q = `config=${encodeURIComponent(config)}&service=crasher&lines=5`;
    const inspect = await call(h, `/api/v1/inspect?${q}`);
    expect(inspect.status).toBe(200);
    expect(inspect.body).toMatchObject({
      service: { name: 'crasher', status: 'failed', exit_code: 5 },
      last_exit: { code: 5, signal: null },
      last_cause: { what: 'failure', kind: 'crash', detail: 'exited with code 5' },
      settings: { stop_grace_period: expect.any(String) },
    });
    expect(inspect.body.logs.map((l: Json) => l.line)).toContain('going down');
    // Through the CLI, the same object.
    const cli = await h.daemon.cli(['inspect', 'crasher', '--json', '-n', '5', '-f', config]);
    expect(JSON.parse(cli.stdout)).toEqual(inspect.body);

    const unknown = await call(h, `/api/v1/inspect?config=${encodeURIComponent(config)}&service=nope`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('UNKNOWN_SERVICE');
    expect((await call(h, '/api/v1/inspect')).status).toBe(400);
  },
  T,
);
