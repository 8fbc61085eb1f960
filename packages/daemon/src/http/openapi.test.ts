import type { ConfigRegistry } from '../config/ConfigRegistry.js';
import type { HandlerTable } from '../server/handlers/index.js';
import { ApiCredentials } from './credentials.js';
import { HttpApi } from './HttpApi.js';
import { OPENAPI_PATH, openApiDocument } from './openapi.js';

/** An API that is never listened on: only its route table is read. */
function api(): HttpApi {
  return new HttpApi({
    access: { handlers: {} as HandlerTable, isShuttingDown: () => false, log: () => undefined },
    registry: { list: () => [], onLoad: () => () => undefined } as unknown as ConfigRegistry,
    credentials: ApiCredentials.forToken('t'.repeat(64)),
    wsBufferBytes: 1024,
    logLimit: () => undefined,
    ready: Promise.resolve(),
  });
}

function documented(doc: Record<string, unknown>): string[] {
  const paths = doc.paths as Record<string, Record<string, unknown>>;
  return Object.entries(paths).flatMap(([path, ops]) =>
    Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
  );
}

test('every route of the router is in the OpenAPI document, and nothing else is', async () => {
  const a = api();
  const routes = a.routes.all().map((r) => `${r.method} ${r.path}`);
  const served = a.routes.find('GET', OPENAPI_PATH)!;
  const doc = (await served.json!({} as never)) as Record<string, unknown>;
  expect(documented(doc).sort()).toEqual(routes.sort());
  // What the issue names is there: the API, the streams, provisr's aliases, the dashboard.
  expect(routes).toEqual(
    expect.arrayContaining([
      'GET /api/v1/configs',
      'GET /api/v1/services',
      'POST /api/v1/start',
      'POST /api/v1/stop',
      'POST /api/v1/restart',
      'GET /api/v1/logs',
      'GET /api/v1/events',
      'GET /api/status',
      'POST /api/start',
      'POST /api/stop',
      'GET /',
      `GET ${OPENAPI_PATH}`,
      // The usage family (usageRoutes.ts).
      'GET /metrics',
      'GET /api/v1/top',
      'GET /api/v1/inspect',
    ]),
  );
});

test('each operation has a summary and its responses; WebSockets and public routes say so', () => {
  const a = api();
  const doc = openApiDocument(a.routes.all()) as {
    paths: Record<
      string,
      Record<string, { summary: string; responses: object; security?: unknown; 'x-websocket'?: boolean }>
    >;
  };
  for (const route of a.routes.all()) {
    const op = doc.paths[route.path]![route.method.toLowerCase()]!;
    expect(op.summary).toEqual(expect.any(String));
    expect(Object.keys(op.responses).length).toBeGreaterThan(0);
    expect(op['x-websocket'] === true).toBe(route.websocket !== undefined);
    if (route.auth === 'none') expect(op.security).toEqual([]);
  }
});

test('a route added later (another folder) is served and documented', async () => {
  const a = api();
  a.routes.add({
    method: 'GET',
    path: '/later',
    doc: { summary: 'A later route', responses: { '200': { description: 'anything' } } },
    json: async () => ({}),
  });
  expect(documented(openApiDocument(a.routes.all()))).toContain('GET /later');
  expect(() => a.routes.add({ ...a.routes.find('GET', '/later')! })).toThrow('defined twice');
});

test("provisr's `name` is documented where it is read (GET /api/status, a single service), not on /api/v1/services", async () => {
  const a = api();
  const doc = (await a.routes.find('GET', OPENAPI_PATH)!.json!({} as never)) as {
    paths: Record<string, { get: { parameters: { name: string }[]; responses: Record<string, unknown> } }>;
  };
  const params = (path: string) => doc.paths[path]!.get.parameters.map((p) => p.name);
  expect(params('/api/v1/services')).toEqual(['config']);
  expect(params('/api/status')).toEqual(['config', 'name']);
  expect(JSON.stringify(doc.paths['/api/status']!.get.responses['200'])).toContain(
    '#/components/schemas/Service"',
  );
});

test('every JSON and WebSocket route documents its 400: a field it does not take is refused', () => {
  const a = api();
  const doc = openApiDocument(a.routes.all()) as {
    paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  };
  for (const route of a.routes.all()) {
    if (!route.json && !route.websocket) continue;
    expect([route.path, Object.keys(doc.paths[route.path]![route.method.toLowerCase()]!.responses)]).toEqual([
      route.path,
      expect.arrayContaining(['400']),
    ]);
  }
});

test('the document names every route that needs no token as such', () => {
  const a = api();
  const doc = openApiDocument(a.routes.all()) as { info: { description: string } };
  const open = a.routes.all().filter((r) => r.auth === 'none');
  // The dashboard's static files (a navigation carries no session key; the page asks the API with
  // one) and the login link: never a JSON route or a stream.
  expect(open.map((r) => r.path).sort()).toEqual([
    '/',
    '/assets/app.css',
    '/assets/app.js',
    '/assets/dom.js',
    '/assets/logPane.js',
    '/assets/session.js',
    '/login',
  ]);
  for (const r of open) expect([r.path, r.json, r.websocket]).toEqual([r.path, undefined, undefined]);
  for (const r of open) expect(doc.info.description).toContain(r.path);
});
