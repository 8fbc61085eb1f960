import { createServer as createHttpServer, request, type Server } from 'node:http';
import { connect as connectTo, createServer, type Server as NetServer } from 'node:net';
import { ReverseProxy } from './ReverseProxy.js';
import { RouteTable } from './routeTable.js';

/** The proxy in this process, in front of real loopback servers. */
let proxy: ReverseProxy;
let proxyPort = 0;
const table = new RouteTable();
const closers: Array<() => void> = [];

function listen(server: Server | NetServer): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
}

function get(host: string, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: proxyPort, path, headers: { host }, agent: false },
      (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  proxy = new ReverseProxy(table, { host: '127.0.0.1', port: 0 });
  proxyPort = await proxy.listen();
});
afterAll(async () => {
  for (const close of closers) close();
  await proxy.close();
});

it('retries a request whose kept-alive connection the backend closed while idle', async () => {
  // The backend closes every idle connection after 1 ms: each reuse may find it closed.
  const backend = createHttpServer((req, res) => res.end(`hi ${req.url}`));
  backend.keepAliveTimeout = 1;
  const port = await listen(backend);
  closers.push(() => backend.close());
  table.replace(
    [{ hostname: 'flaky.localhost', config: '/c', service: 's', status: 'running', port }],
    proxyPort,
  );
  for (let i = 0; i < 20; i++) {
    expect(await get('flaky.localhost', `/${i}`)).toEqual({ status: 200, body: `hi /${i}` });
    await new Promise((r) => setTimeout(r, 5));
  }
});

it('answers 502 to a backend that sends a header Node refuses, and keeps serving', async () => {
  const bad = createServer((socket) => {
    socket.once('data', () =>
      socket.end('HTTP/1.1 200 OK\r\nX-Bad: a\u0001b\r\nContent-Length: 2\r\n\r\nok'),
    );
  });
  const port = await listen(bad);
  closers.push(() => bad.close());
  table.replace(
    [{ hostname: 'bad.localhost', config: '/c', service: 'b', status: 'running', port }],
    proxyPort,
  );
  const r = await get('bad.localhost');
  expect(r.status).toBe(502);
  expect(r.body).toContain('service b of /c did not answer');
  expect((await get('nope.localhost')).status).toBe(404);
});

it('refuses a request with two Host headers (400) instead of routing by one while the backend sees both', async () => {
  const backend = createHttpServer((req, res) => res.end(`hi ${req.headers.host}`));
  const port = await listen(backend);
  closers.push(() => backend.close());
  table.replace(
    [
      { hostname: 'one.localhost', config: '/c', service: 'one', status: 'running', port },
      { hostname: 'two.localhost', config: '/c', service: 'two', status: 'running', port },
    ],
    proxyPort,
  );
  const answer = (upgrade: boolean) =>
    new Promise<string>((resolve, reject) => {
      const socket = connectTo(proxyPort);
      let got = '';
      socket.on('data', (d) => {
        got += d.toString('latin1');
      });
      socket.on('end', () => resolve(got.split('\r\n')[0] ?? ''));
      socket.on('error', reject);
      socket.write(
        `GET / HTTP/1.1\r\nHost: one.localhost\r\nHost: two.localhost\r\n${upgrade ? 'Upgrade: websocket\r\nConnection: Upgrade\r\n' : 'Connection: close\r\n'}\r\n`,
      );
    });
  expect(await answer(false)).toBe('HTTP/1.1 400 Bad Request');
  expect(await answer(true)).toBe('HTTP/1.1 400 Bad Request');
  expect(await get('two.localhost')).toEqual({ status: 200, body: 'hi two.localhost' });
});

it('sets X-Forwarded-Host and -Proto itself, whatever the client sent, and appends to X-Forwarded-For', async () => {
  const seen: Record<string, unknown>[] = [];
  const backend = createHttpServer((req, res) => {
    seen.push(req.headers);
    res.end('ok');
  });
  backend.on('upgrade', (req, socket) => {
    seen.push(req.headers);
    socket.end('HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n');
  });
  const port = await listen(backend);
  closers.push(() => backend.close());
  table.replace(
    [{ hostname: 'fwd.localhost', config: '/c', service: 'f', status: 'running', port }],
    proxyPort,
  );
  const spoof = 'X-Forwarded-For: 10.0.0.1\r\nX-Forwarded-Host: evil.example\r\nX-Forwarded-Proto: https\r\n';
  for (const upgrade of [false, true]) {
    await new Promise<void>((resolve, reject) => {
      const socket = connectTo(proxyPort);
      socket.on('data', () => socket.end());
      socket.on('close', () => resolve());
      socket.on('error', reject);
      socket.write(
        `GET / HTTP/1.1\r\nHost: fwd.localhost:${proxyPort}\r\n${spoof}${upgrade ? 'Upgrade: x\r\nConnection: Upgrade\r\n' : 'Connection: close\r\n'}\r\n`,
      );
    });
  }
  expect(seen).toHaveLength(2);
  for (const headers of seen) {
    expect(headers).toMatchObject({
      'x-forwarded-for': '10.0.0.1, 127.0.0.1',
      'x-forwarded-host': `fwd.localhost:${proxyPort}`,
      'x-forwarded-proto': 'http',
    });
  }
});

it('answers 431 to headers past the limit (as Node and the backend would), 400 to a request that does not parse', async () => {
  const status = (head: string) =>
    new Promise<string>((resolve, reject) => {
      const socket = connectTo(proxyPort);
      let got = '';
      socket.on('data', (d) => {
        got += d.toString('latin1');
      });
      socket.on('end', () => resolve(got.split('\r\n')[0] ?? ''));
      socket.on('error', reject);
      socket.write(head);
    });
  const long = 'a'.repeat(20_000);
  expect(await status(`GET / HTTP/1.1\r\nHost: x.localhost\r\nX-Long: ${long}\r\n\r\n`)).toBe(
    'HTTP/1.1 431 Request Header Fields Too Large',
  );
  expect(await status('NOT HTTP\r\n\r\n')).toBe('HTTP/1.1 400 Bad Request');
});

it('ends the connection after an upgrade the backend declines: the next request is not tunnelled to it', async () => {
  // A backend that ignores `Upgrade: h2c` answers 200 and keeps the connection; had the proxy kept
  // piping raw bytes, the next request would reach this backend whatever its Host, with its own
  // X-Forwarded-For.
  const backend = createHttpServer((req, res) => res.end(`plain saw ${req.url} for ${req.headers.host}`));
  const port = await listen(backend);
  closers.push(() => backend.close());
  const other = createHttpServer((req, res) => res.end(`other saw ${req.url}`));
  const otherPort = await listen(other);
  closers.push(() => other.close());
  table.replace(
    [
      { hostname: 'plain.localhost', config: '/c', service: 'plain', status: 'running', port },
      { hostname: 'other.localhost', config: '/c', service: 'other', status: 'running', port: otherPort },
    ],
    proxyPort,
  );
  const got = await new Promise<string>((resolve, reject) => {
    const socket = connectTo(proxyPort);
    let text = '';
    socket.on('data', (d) => {
      text += d.toString('latin1');
      if (text.includes('plain saw /one')) {
        socket.write('GET /two HTTP/1.1\r\nHost: other.localhost\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n');
      }
    });
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
    socket.write('GET /one HTTP/1.1\r\nHost: plain.localhost\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n');
  });
  expect(got).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
  expect(got).toContain('plain saw /one for plain.localhost');
  expect(got.toLowerCase()).toContain('connection: close');
  expect(got).not.toContain('/two');
});
