import { request } from 'node:http';
import { type HttpDaemon, type Json, startHttpDaemon, writeTickers } from './httpkit.js';

/**
 * Requests at the edges of the HTTP API, sent as raw as a client may send them: request targets that
 * a URL parser would misread, and what a refused request answers (the REST status, code and message,
 * and a refused WebSocket upgrade the same before it upgrades).
 */
let d: HttpDaemon;
let config: string;

beforeAll(async () => {
  d = await startHttpDaemon('kepler-http-refusals');
  config = writeTickers(d.daemon, ['web']);
  expect((await d.daemon.cli(['start', '-d', '-f', config])).code).toBe(0);
  await d.daemon.waitStatus(config, 'web', 'running');
}, 60_000);

afterAll(async () => {
  await d?.daemon.cleanup();
}, 60_000);

interface RawAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Json;
}

/**
 * `method target` with the request target written exactly as given (fetch and `new URL` would
 * normalise it first); with `upgrade`, as a WebSocket handshake. The answer's body parsed as JSON.
 */
function raw(target: string, opts: { method?: string; upgrade?: boolean; token?: string | null } = {}) {
  const token = opts.token === undefined ? d.token : opts.token;
  const { hostname, port } = new URL(d.url);
  return new Promise<RawAnswer>((resolve, reject) => {
    const req = request({
      host: hostname,
      port,
      method: opts.method ?? 'GET',
      path: target,
      headers: {
        ...(token === null ? {} : { Authorization: `Bearer ${token}` }),
        ...(opts.upgrade
          ? {
              Connection: 'Upgrade',
              Upgrade: 'websocket',
              'Sec-WebSocket-Version': '13',
              'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
            }
          : {}),
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: null });
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => {
        text += c;
      });
      res.on('end', () => {
        const json = (res.headers['content-type'] ?? '').startsWith('application/json');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: json ? JSON.parse(text) : text });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

test('a target with a double slash is a path: slashes merged, never a host and another route', async () => {
  const plain = await raw('/api/v1/services');
  expect(plain.status).toBe(200);
  const merged = await raw('//api/v1/services');
  expect(merged).toMatchObject({ status: 200, body: { services: [{ config, name: 'web' }] } });
  expect((await raw('/api//v1///services')).status).toBe(200);
  // `new URL('//x/api/v1/services', base)` took `x` for a host and answered /api/v1/services.
  expect(await raw('//x/api/v1/services')).toMatchObject({
    status: 404,
    body: { code: 'BAD_REQUEST', message: 'no route /x/api/v1/services (see /api/v1/openapi.json)' },
  });
  expect((await raw('//api/v1/events', { upgrade: true })).status).toBe(101);
  expect((await raw('//x/api/v1/events', { upgrade: true })).status).toBe(404);
});

test('a stream naming a config not loaded or an unknown service is refused before the upgrade, as REST is', async () => {
  const missing = encodeURIComponent('/no/such.yaml');
  const here = encodeURIComponent(config);
  const cases: Array<[rest: string, stream: string]> = [
    [`/api/v1/services?config=${missing}`, `/api/v1/events?config=${missing}`],
    ['/api/v1/services?config=relative.yaml', '/api/v1/events?config=relative.yaml'],
    [`/api/v1/logs?config=${missing}`, `/api/v1/logs?follow&config=${missing}`],
    [`/api/v1/logs?config=${here}&services=nope`, `/api/v1/logs?follow&config=${here}&services=nope`],
    ['/api/v1/logs?services=web,nope', '/api/v1/logs?follow&services=web,nope'],
  ];
  for (const [restPath, streamPath] of cases) {
    const rest = await raw(restPath);
    expect(rest.status).toBeGreaterThanOrEqual(400);
    expect(rest.body).toEqual({ code: expect.any(String), message: expect.any(String) });
    const stream = await raw(streamPath, { upgrade: true });
    expect([streamPath, stream.status, stream.body]).toEqual([streamPath, rest.status, rest.body]);
  }
  expect((await raw(`/api/v1/logs?config=${here}&services=nope`)).body.code).toBe('UNKNOWN_SERVICE');
  expect((await raw(`/api/v1/events?config=${missing}`, { upgrade: true })).body.code).toBe(
    'CONFIG_NOT_LOADED',
  );
  // What is loaded still streams.
  expect((await raw(`/api/v1/events?config=${here}`, { upgrade: true })).status).toBe(101);
  expect((await raw(`/api/v1/logs?follow&config=${here}&services=web`, { upgrade: true })).status).toBe(101);
});

test('a refused WebSocket upgrade carries WWW-Authenticate (401) and Allow (405), as the REST refusal does', async () => {
  for (const token of [null, 'wrong']) {
    const stream = await raw('/api/v1/events', { upgrade: true, token });
    const rest = await raw('/api/v1/services', { token });
    expect([stream.status, rest.status]).toEqual([401, 401]);
    expect(stream.headers['www-authenticate']).toBe('Bearer realm="kepler"');
    expect(stream.headers['www-authenticate']).toBe(rest.headers['www-authenticate']);
    expect(stream.body).toEqual({ code: 'PERMISSION_DENIED', message: expect.stringContaining('token') });
  }
  for (const [method, path, allow] of [
    ['POST', '/api/v1/events', 'GET'],
    ['POST', '/api/v1/logs', 'GET'],
    ['GET', '/api/v1/stop', 'POST'],
  ] as const) {
    const stream = await raw(path, { method, upgrade: true });
    const rest = await raw(path, { method });
    expect([path, stream.status, rest.status]).toEqual([path, 405, 405]);
    expect(stream.headers.allow).toBe(allow);
    expect(rest.headers.allow).toBe(allow);
    expect(stream.body).toEqual(rest.body);
  }
});
