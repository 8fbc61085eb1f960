import { connect } from 'node:net';
import WebSocket from 'ws';
import type { ConfigRegistry } from '../config/ConfigRegistry.js';
import type { HandlerTable } from '../server/handlers/index.js';
import { ApiCredentials, SESSION_TTL_MS } from './credentials.js';
import { HttpApi, SESSION_EXPIRED_CLOSE } from './HttpApi.js';

const TOKEN = 't'.repeat(64);
let api: HttpApi;
let port: number;
/** Moves the credentials' clock (a session's expiry) without waiting for it. */
let clockShiftMs = 0;
const credentials = ApiCredentials.forToken(TOKEN, () => Date.now() + clockShiftMs);

beforeAll(async () => {
  api = new HttpApi({
    access: { handlers: {} as HandlerTable, isShuttingDown: () => false, log: () => undefined },
    registry: {
      list: () => [],
      find: () => undefined,
      onLoad: () => () => undefined,
    } as unknown as ConfigRegistry,
    credentials,
    wsBufferBytes: 1024,
    logLimit: () => undefined,
    ready: Promise.resolve(),
  });
  port = Number(new URL(await api.listen({ host: '127.0.0.1', port: 0, public: false })).port);
});

afterAll(() => api.close());

/** The head (status line and headers) the API answers a WebSocket upgrade of `method path` with. */
function upgradeHead(method: string, path: string, token: string | null = TOKEN): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let got = '';
    const done = () => {
      resolve(got.split('\r\n\r\n')[0] ?? '');
      socket.destroy();
    };
    socket.on('data', (d) => {
      got += d.toString('latin1');
      if (got.includes('\r\n\r\n')) done();
    });
    socket.on('end', done);
    socket.on('error', reject);
    socket.write(
      `${method} ${path} HTTP/1.1\r\nHost: x\r\n${token === null ? '' : `Authorization: Bearer ${token}\r\n`}` +
        'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
  });
}

/** The status line the API answers a WebSocket upgrade of `method path` with. */
async function statusLine(method: string, path: string, token: string | null = TOKEN): Promise<string> {
  return (await upgradeHead(method, path, token)).split('\r\n')[0] ?? '';
}

test('a refused WebSocket upgrade gets the reason phrase of its status', async () => {
  expect(await statusLine('GET', '/api/v1/nothing')).toBe('HTTP/1.1 404 Not Found');
  expect(await statusLine('POST', '/api/v1/events')).toBe('HTTP/1.1 405 Method Not Allowed');
  expect(await statusLine('GET', '/api/v1/events', null)).toBe('HTTP/1.1 401 Unauthorized');
  expect(await statusLine('GET', '/api/v1/status')).toBe('HTTP/1.1 400 Bad Request');
});

/** The status line the API answers `raw` bytes with. */
function answerTo(raw: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let got = '';
    socket.on('data', (d) => {
      got += d.toString('latin1');
    });
    socket.on('close', () => resolve(got.split('\r\n')[0] ?? ''));
    socket.on('error', reject);
    socket.write(raw);
  });
}

test('a request that does not parse gets 400, headers past the limit 431, not a reset', async () => {
  expect(await answerTo('GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n')).toBe(
    'HTTP/1.1 400 Bad Request',
  );
  expect(await answerTo(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)).toBe(
    'HTTP/1.1 431 Request Header Fields Too Large',
  );
});

test('a target starting with // is routed as a path, never with its first segment taken for a host', async () => {
  const get = (path: string) =>
    fetch(`http://127.0.0.1:${port}${path}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  expect((await get('//api/v1/openapi.json')).status).toBe(200);
  const wrong = await get('//x/api/v1/openapi.json');
  expect(wrong.status).toBe(404);
  expect(await wrong.json()).toEqual({
    code: 'BAD_REQUEST',
    message: 'no route /x/api/v1/openapi.json (see /api/v1/openapi.json)',
  });
  expect(await statusLine('GET', '//api/v1/events')).toBe('HTTP/1.1 101 Switching Protocols');
  expect(await statusLine('GET', '//x/api/v1/events')).toBe('HTTP/1.1 404 Not Found');
  expect(await statusLine('GET', '/\\api/v1/events')).toBe('HTTP/1.1 404 Not Found');
});

/** The whole answer (head, and body parsed as JSON) to a refused WebSocket upgrade of `GET path`. */
function refusedUpgrade(path: string): Promise<{ head: string; body: unknown }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let got = '';
    socket.on('data', (d) => {
      got += d.toString('utf8');
    });
    socket.on('end', () => {
      const at = got.indexOf('\r\n\r\n');
      resolve({ head: got.slice(0, at), body: JSON.parse(got.slice(at + 4)) });
    });
    socket.on('error', reject);
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n` +
        'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
  });
}

test('the event stream refuses a config it has not loaded before the upgrade, as the JSON routes do', async () => {
  for (const config of ['/no/such.yaml', 'relative.yaml']) {
    const query = `config=${encodeURIComponent(config)}`;
    const rest = await fetch(`http://127.0.0.1:${port}/api/v1/services?${query}`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    const ws = await refusedUpgrade(`/api/v1/events?${query}`);
    expect(ws.head.split('\r\n')[0]).toBe(`HTTP/1.1 ${rest.status} ${rest.statusText}`);
    expect(ws.body).toEqual(await rest.json());
  }
  expect(await statusLine('GET', '/api/v1/events?config=%2Fno%2Fsuch.yaml')).toBe('HTTP/1.1 404 Not Found');
});

/** The value of header `name` in a head of `Name: value` lines (names compared in lower case). */
function header(head: string, name: string): string | undefined {
  const line = head.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}

test('a refused WebSocket upgrade carries the headers the REST refusal does: WWW-Authenticate, Allow', async () => {
  const rest = async (method: string, path: string, token: string | null) =>
    fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: token === null ? {} : { Authorization: `Bearer ${token}` },
    });
  const unauthorized = await upgradeHead('GET', '/api/v1/events', null);
  expect(unauthorized.split('\r\n')[0]).toBe('HTTP/1.1 401 Unauthorized');
  expect(header(unauthorized, 'WWW-Authenticate')).toBe('Bearer realm="kepler"');
  expect(header(unauthorized, 'WWW-Authenticate')).toBe(
    (await rest('GET', '/api/v1/status', null)).headers.get('www-authenticate'),
  );
  for (const [method, path, allow] of [
    ['POST', '/api/v1/events', 'GET'],
    ['GET', '/api/v1/start', 'POST'],
  ] as const) {
    const refused = await upgradeHead(method, path);
    expect(refused.split('\r\n')[0]).toBe('HTTP/1.1 405 Method Not Allowed');
    expect(header(refused, 'Allow')).toBe(allow);
    expect((await rest(method, path, TOKEN)).headers.get('allow')).toBe(allow);
  }
});

test('a 426 (a stream asked for without an upgrade) names the protocol to upgrade to', async () => {
  const r = await fetch(`http://127.0.0.1:${port}/api/v1/events`, {
    headers: { Authorization: `Bearer ${TOKEN}` },
  });
  expect(r.status).toBe(426);
  expect(r.headers.get('upgrade')).toBe('websocket');
});

test('a field a route does not take is refused naming it, never ignored (a misspelt `services` is not "all")', async () => {
  const ask = async (path: string, body?: unknown) => {
    const r = await fetch(`http://127.0.0.1:${port}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { Authorization: `Bearer ${TOKEN}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: r.status, body: (await r.json()) as { code: string; message: string } };
  };
  const stop = await ask('/api/v1/stop', { service: 'web' });
  expect(stop.status).toBe(400);
  expect(stop.body.message).toMatch(
    /^service: not a field of POST \/api\/v1\/stop \(it takes config, services, /,
  );
  expect((await ask('/api/v1/logs?service=web')).body.message).toMatch(/^service: not a field of GET /);
  expect((await ask('/api/v1/status?verbose=1')).body.message).toBe(
    'verbose: not a field of GET /api/v1/status (it takes none)',
  );
  expect(await statusLine('GET', '/api/v1/events?confg=/x')).toBe('HTTP/1.1 400 Bad Request');
});

/** A session as the dashboard gets one: the login link's GET, its key in the redirect's fragment. */
async function login(): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${port}/login?code=${credentials.newLoginCode()}`, {
    redirect: 'manual',
  });
  expect(r.status).toBe(303);
  const m = /^\/#session=([A-Za-z0-9_-]+)$/.exec(r.headers.get('location') ?? '');
  expect(m).not.toBeNull();
  return m![1]!;
}

test('the login link answers a redirect with the key in its fragment, and sets no cookie', async () => {
  const code = credentials.newLoginCode();
  const r = await fetch(`http://127.0.0.1:${port}/login?code=${code}`, { redirect: 'manual' });
  expect(r.status).toBe(303);
  expect(r.headers.get('location')).toMatch(/^\/#session=[A-Za-z0-9_-]{20,}$/);
  expect(r.headers.get('set-cookie')).toBeNull();
  expect((await fetch(`http://127.0.0.1:${port}/login?code=${code}`, { redirect: 'manual' })).status).toBe(
    401,
  );
});

test('a HEAD of the login link (a link preview) does not spend its code', async () => {
  const code = credentials.newLoginCode();
  const link = `http://127.0.0.1:${port}/login?code=${code}`;
  for (let i = 0; i < 2; i++) {
    const head = await fetch(link, { method: 'HEAD', redirect: 'manual' });
    expect(head.status).toBe(200);
    expect(head.headers.get('location')).toBeNull();
  }
  expect((await fetch(link, { redirect: 'manual' })).status).toBe(303);
  expect((await fetch(link, { method: 'HEAD', redirect: 'manual' })).status).toBe(200);
  expect((await fetch(link, { redirect: 'manual' })).status).toBe(401);
});

test('a session is its key in `Authorization: Session`; a cookie carrying it is refused', async () => {
  const key = await login();
  const get = (headers: Record<string, string>, path = '/api/v1/openapi.json') =>
    fetch(`http://127.0.0.1:${port}${path}`, { headers });
  const origin = `http://127.0.0.1:${port}`;
  expect((await get({ Authorization: `Session ${key}` })).status).toBe(200);
  expect((await get({ Authorization: `Session ${key}x` })).status).toBe(401);
  // What another local server receives from the browser, replayed with a forged Origin.
  for (const cookie of [`kepler_session=${key}`, `session=${key}`, key]) {
    const r = await get({ Cookie: cookie, Origin: origin });
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe('Bearer realm="kepler"');
  }
  // Only where a session was accepted before: minting login codes takes the token.
  const mint = await fetch(`http://127.0.0.1:${port}/api/v1/login-code`, {
    method: 'POST',
    headers: { Authorization: `Session ${key}`, Origin: origin },
  });
  expect(mint.status).toBe(401);
  // The page itself is static and open: it shows "Log in" until it has a key.
  const page = await fetch(`http://127.0.0.1:${port}/`);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('/assets/app.js');
});

test('a WebSocket session is its subprotocol, selected by the server; not a cookie, not from another origin', async () => {
  const key = await login();
  const url = `ws://127.0.0.1:${port}/api/v1/events`;
  const origin = `http://127.0.0.1:${port}`;
  const open = (protocols: string[], headers: Record<string, string>, o?: string) =>
    new Promise<{ status: number; protocol: string }>((resolve, reject) => {
      const ws = new WebSocket(url, protocols, { headers, ...(o ? { origin: o } : {}) });
      ws.once('open', () => {
        resolve({ status: 101, protocol: ws.protocol });
        ws.close();
      });
      ws.once('unexpected-response', (_req, res) => {
        resolve({ status: res.statusCode ?? 0, protocol: '' });
        res.resume();
        ws.terminate();
      });
      ws.once('error', reject);
    });
  // A browser fails the handshake unless the server selects the offered protocol.
  expect(await open([`kepler-session.${key}`], {}, origin)).toEqual({
    status: 101,
    protocol: `kepler-session.${key}`,
  });
  expect((await open([`kepler-session.${key}`], {}, 'http://evil.example')).status).toBe(403);
  expect((await open([`kepler-session.${key}x`], {}, origin)).status).toBe(401);
  expect((await open([], { Cookie: `kepler_session=${key}` }, origin)).status).toBe(401);
  // A bearer client offering no protocol gets none.
  expect(await open([], { Authorization: `Bearer ${TOKEN}` })).toEqual({ status: 101, protocol: '' });
});

test('a stream opened with a session ends when the session expires; a bearer stream does not', async () => {
  const key = await login();
  const origin = `http://127.0.0.1:${port}`;
  clockShiftMs = SESSION_TTL_MS - 300; // the session has 300 ms left
  try {
    const session = new WebSocket(`ws://127.0.0.1:${port}/api/v1/events`, [`kepler-session.${key}`], {
      origin,
    });
    const bearer = new WebSocket(`ws://127.0.0.1:${port}/api/v1/events`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    let bearerClosed = false;
    bearer.once('close', () => {
      bearerClosed = true;
    });
    const closed = await new Promise<{ code: number; reason: string }>((resolve, reject) => {
      session.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
      session.once('error', reject);
    });
    expect(closed).toEqual({ code: SESSION_EXPIRED_CLOSE, reason: 'session expired' });
    expect(bearerClosed).toBe(false);
    bearer.close();
  } finally {
    clockShiftMs = 0;
  }
});
