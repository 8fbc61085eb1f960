import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { groupGid, waitFor, writeScript } from '../testkit.js';
import { call, type HttpDaemon, type Json, startHttpDaemon, writeTickers } from './httpkit.js';

/**
 * The HTTP API over real HTTP against the real daemon: tokens, every documented route, the CLI's
 * operations through the socket's handlers, errors as `{code, message}`, and bad requests.
 */
let d: HttpDaemon;
let config: string;

beforeAll(async () => {
  d = await startHttpDaemon('kepler-http-api');
  config = writeTickers(d.daemon, ['web', 'worker']);
  expect((await d.daemon.cli(['start', '-d', '-f', config])).code).toBe(0);
  await d.daemon.waitStatus(config, 'web', 'running');
  await d.daemon.waitStatus(config, 'worker', 'running');
}, 60_000);

afterAll(async () => {
  await d?.daemon.cleanup();
}, 60_000);

test('the token file is as readable as the socket, and the API needs it', async () => {
  const st = statSync(join(d.daemon.stateDir, 'http.token'));
  const gid = groupGid('kepler');
  expect(st.uid).toBe(0);
  expect(st.mode & 0o777).toBe(gid === null ? 0o600 : 0o640);
  if (gid !== null) expect(st.gid).toBe(gid);
  for (const token of [null, 'wrong', `${d.token}x`, d.token.slice(1)]) {
    const r = await call(d, '/api/v1/services', { token });
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ code: 'PERMISSION_DENIED', message: expect.stringContaining('token') });
  }
  expect((await call(d, '/api/v1/start', { body: {}, token: 'wrong' })).status).toBe(401);
  expect((await call(d, '/api/v1/services')).status).toBe(200);
});

test('every route in the OpenAPI document answers as it documents', async () => {
  const doc = (await call(d, '/api/v1/openapi.json')).body;
  expect(doc.openapi).toMatch(/^3\./);
  const seen: string[] = [];
  for (const [path, ops] of Object.entries<Record<string, Json>>(doc.paths)) {
    for (const [method, op] of Object.entries<Json>(ops)) {
      // POST routes get an empty body: they act on every service of the one config loaded, which
      // is what the routes below check in detail; here only that they answer as documented.
      const body =
        method === 'post'
          ? path.endsWith('/start') || path.endsWith('/restart')
            ? {}
            : { services: ['nope'] }
          : undefined;
      const r = await call(d, path, { method: method.toUpperCase(), body });
      seen.push(`${method.toUpperCase()} ${path} ${r.status}`);
      expect([path, method, Object.keys(op.responses)]).toEqual([
        path,
        method,
        expect.arrayContaining([String(r.status)]),
      ]);
    }
  }
  expect(seen.length).toBeGreaterThan(10);
});

test('services and configs in the `ps --json` shapes; provisr status of one service', async () => {
  const ps = await d.daemon.ps(config);
  const r = await call(d, `/api/v1/services?config=${encodeURIComponent(config)}`);
  expect(r.status).toBe(200);
  expect(r.body.services.map((s: Json) => s.name)).toEqual(['web', 'worker']);
  // The same object as the CLI's `ps --json` (started_at etc. included).
  expect(r.body.services).toEqual(ps);
  const configs = (await call(d, '/api/v1/configs')).body.configs;
  expect(configs).toEqual([
    expect.objectContaining({ path: config, services: 2, running: 2, stale: false, warnings: [] }),
  ]);
  const one = await call(d, '/api/status?name=worker');
  expect(one.body).toMatchObject({ name: 'worker', status: 'running', pid: expect.any(Number) });
  expect((await call(d, '/api/status?name=nope')).status).toBe(404);
});

test('stop, start and restart (named and all, detach and wait); provisr aliases', async () => {
  const stopped = await call(d, '/api/v1/stop', { body: { config, services: ['worker'] } });
  expect(stopped).toMatchObject({ status: 200, body: { stopped: ['worker'], cleaned: false } });
  expect((await d.daemon.service(config, 'worker')).status).toBe('stopped');

  const started = await call(d, '/api/v1/start', {
    body: { services: ['worker'], mode: 'wait', timeout_ms: 10_000 },
  });
  expect(started.status).toBe(200);
  expect(started.body).toMatchObject({ started: ['worker'], already_running: [] });
  expect(started.body.services[0]).toMatchObject({ name: 'worker', status: 'running' });

  const before = (await d.daemon.service(config, 'web')).pid;
  const restarted = await call(d, '/api/v1/restart', { body: { config, services: ['web'], mode: 'wait' } });
  expect(restarted.status).toBe(200);
  expect(restarted.body.services[0].pid).not.toBe(before);

  expect((await call(d, '/api/stop', { body: { name: 'web' } })).body.stopped).toEqual(['web']);
  expect((await call(d, '/api/start', { body: { name: 'web' } })).body.started).toEqual(['web']);
  await d.daemon.waitStatus(config, 'web', 'running');
});

test('logs: head and tail of stored lines, in the `logs --json` shape', async () => {
  await waitFor(
    async () => (await call(d, '/api/v1/logs?services=web&tail=50')).body.lines.length >= 3,
    'lines',
  );
  const tail = await call(d, `/api/v1/logs?config=${encodeURIComponent(config)}&services=web&tail=2`);
  expect(tail.body.lines).toHaveLength(2);
  expect(tail.body.lines[0]).toEqual({
    ts: expect.any(String),
    service: 'web',
    stream: 'stdout',
    line: expect.stringMatching(/^(tick|started) web$/),
  });
  const head = await call(d, '/api/v1/logs?services=web&head=1');
  expect(head.body.lines).toEqual([expect.objectContaining({ line: 'started web' })]);
});

test('logs with follow=false are stored lines, not a refused follow', async () => {
  const r = await call(d, '/api/v1/logs?services=web&tail=1&follow=false');
  expect(r.status).toBe(200);
  expect(r.body.lines).toEqual([expect.objectContaining({ service: 'web' })]);
  expect((await call(d, '/api/v1/logs?services=web&follow=maybe')).body.message).toMatch(/^follow: /);
});

test('bad requests answer 400 naming the field; errors carry the protocol codes; the daemon lives on', async () => {
  const cases: Array<[string, Parameters<typeof call>[2], number, string, RegExp]> = [
    ['/api/v1/stop', { body: { services: 5 } }, 400, 'BAD_REQUEST', /^services: /],
    [
      '/api/v1/start',
      { body: { mode: 'follow' } },
      400,
      'BAD_REQUEST',
      /^mode: expected one of detach, wait/,
    ],
    ['/api/v1/start', { body: { timeout_ms: -1 } }, 400, 'BAD_REQUEST', /^timeout_ms: /],
    [
      '/api/v1/start',
      { body: { timeout_ms: 2_160_000_000 } },
      400,
      'BAD_REQUEST',
      /^timeout_ms: expected at most/,
    ],
    ['/api/v1/start', { rawBody: '{"nope' }, 400, 'BAD_REQUEST', /^body: not JSON/],
    ['/api/v1/start', { rawBody: '[1,2]' }, 400, 'BAD_REQUEST', /^body: expected a JSON object/],
    ['/api/v1/logs?head=x', {}, 400, 'BAD_REQUEST', /^head: /],
    ['/api/v1/logs?head=1&tail=1', {}, 400, 'BAD_REQUEST', /^head: give head or tail/],
    ['/api/v1/logs?tail=999999', {}, 400, 'BAD_REQUEST', /^tail: at most/],
    ['/api/v1/logs?follow', {}, 426, 'BAD_REQUEST', /^follow: a follow is a WebSocket/],
    ['/api/v1/services?config=relative.yaml', {}, 400, 'BAD_REQUEST', /^config: /],
    ['/api/v1/services?config=/nowhere/kepler.yaml', {}, 404, 'CONFIG_NOT_LOADED', /has not loaded/],
    ['/api/v1/stop', { body: { services: ['nope'] } }, 404, 'UNKNOWN_SERVICE', /nope/],
    [
      '/api/v1/stop',
      { body: { services: ['web'], clean: true } },
      400,
      'BAD_REQUEST',
      /^clean: removes the whole config/,
    ],
    ['/api/v1/nothing', {}, 404, 'BAD_REQUEST', /no route/],
    ['/api/v1/services', { method: 'DELETE' }, 405, 'BAD_REQUEST', /not allowed/],
    ['/api/v1/start', { rawBody: 'x'.repeat(2 * 1024 * 1024) }, 413, 'BAD_REQUEST', /^body: larger than/],
  ];
  for (const [path, opts, status, code, message] of cases) {
    const r = await call(d, path, opts);
    expect({ path, status: r.status, code: r.body.code }).toEqual({ path, status, code });
    expect(r.body.message).toMatch(message);
  }
  // Raw garbage on the port: answered 400 and closed, the daemon answers the next request.
  const net = await import('node:net');
  let answer = '';
  await new Promise<void>((resolve) => {
    const s = net.connect(Number(new URL(d.url).port), '127.0.0.1', () => s.end('\x00\xff garbage\r\n\r\n'));
    s.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
    });
    s.on('close', () => resolve());
    s.on('error', () => resolve());
  });
  expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
  expect((await call(d, '/api/v1/status')).body.pid).toBe(d.daemon.pid);
});

test('a browser session is minted only from the token, once per code, is never a cookie, and cannot act cross-site', async () => {
  expect((await call(d, '/api/v1/login-code', { method: 'POST', token: null })).status).toBe(401);
  const code = (await call(d, '/api/v1/login-code', { method: 'POST' })).body;
  expect(code.path).toMatch(/^\/login\?code=/);
  // A link preview's HEAD leaves the code to the browser.
  expect((await call(d, code.path, { method: 'HEAD', token: null })).status).toBe(200);
  const login = await call(d, code.path, { token: null });
  expect(login.status).toBe(303);
  expect(login.headers.get('set-cookie')).toBeNull();
  // The key is in the fragment, which a browser never sends to a server.
  const key = /^\/#session=([A-Za-z0-9_-]+)$/.exec(login.headers.get('location') ?? '')?.[1] as string;
  expect(key).toEqual(expect.any(String));
  expect((await call(d, code.path, { token: null })).status).toBe(401); // spent
  const withSession = { token: null, headers: { Authorization: `Session ${key}` } };
  expect((await call(d, '/api/v1/services', withSession)).status).toBe(200);
  // A cookie is nothing: a browser sends one for 127.0.0.1 to every port, so any local server
  // would receive it (the defect this replaced).
  const withCookie = { token: null, headers: { Cookie: `kepler_session=${key}` } };
  expect((await call(d, '/api/v1/services', withCookie)).status).toBe(401);
  // The page is static and open: it shows "Log in" until it has a key.
  expect((await call(d, '/', { token: null })).body).toContain('<title>Kepler</title>');
  // A session may read, and act only from the daemon's own origin; it may not mint codes.
  const host = new URL(d.url).host;
  const post = (origin: string, auth: Record<string, string>) =>
    call(d, '/api/v1/stop', {
      body: { services: ['nope'] },
      token: null,
      headers: { ...auth, Origin: origin },
    });
  expect((await post('http://evil.example', withSession.headers)).status).toBe(403);
  expect((await post(`http://${host}`, withSession.headers)).status).toBe(404);
  expect((await post(`http://${host}`, withCookie.headers)).status).toBe(401);
  expect((await call(d, '/api/v1/login-code', { method: 'POST', ...withSession })).status).toBe(401);
});

test('kepler dashboard opens its link with xdg-open in a graphical session', async () => {
  const bin = join(d.daemon.workDir, 'fake-bin');
  const opened = join(d.daemon.workDir, 'opened.txt');
  writeScript(join(bin, 'xdg-open'), `#!/bin/sh\necho "$1" > ${opened}\n`);
  const r = await d.daemon.cli(['dashboard'], { env: { PATH: `${bin}:${process.env.PATH}`, DISPLAY: ':0' } });
  expect(r.code).toBe(0);
  const link = r.stdout.trim();
  expect(
    await waitFor(() => (existsSync(opened) ? readFileSync(opened, 'utf8').trim() : null), 'xdg-open'),
  ).toBe(link);
  // The link logs in once.
  expect((await call(d, link.slice(d.url.length), { token: null })).status).toBe(303);
});
