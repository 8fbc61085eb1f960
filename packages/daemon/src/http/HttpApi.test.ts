import { connect } from 'node:net';
import type { ConfigRegistry } from '../config/ConfigRegistry.js';
import type { HandlerTable } from '../server/handlers/index.js';
import { ApiCredentials } from './credentials.js';
import { HttpApi } from './HttpApi.js';

const TOKEN = 't'.repeat(64);
let api: HttpApi;
let port: number;

beforeAll(async () => {
  api = new HttpApi({
    access: { handlers: {} as HandlerTable, isShuttingDown: () => false, log: () => undefined },
    registry: { list: () => [], onLoad: () => () => undefined } as unknown as ConfigRegistry,
    credentials: ApiCredentials.forToken(TOKEN),
    wsBufferBytes: 1024,
    logLimit: () => undefined,
    ready: Promise.resolve(),
  });
  port = Number(new URL(await api.listen({ host: '127.0.0.1', port: 0, public: false })).port);
});

afterAll(() => api.close());

/** The status line the API answers a WebSocket upgrade of `method path` with. */
function statusLine(method: string, path: string, token: string | null = TOKEN): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let got = '';
    socket.on('data', (d) => {
      got += d.toString('latin1');
    });
    socket.on('end', () => resolve(got.split('\r\n')[0] ?? ''));
    socket.on('error', reject);
    socket.write(
      `${method} ${path} HTTP/1.1\r\nHost: x\r\n${token === null ? '' : `Authorization: Bearer ${token}\r\n`}` +
        'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
  });
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
