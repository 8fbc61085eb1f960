// Issue 15: the daemon's reverse proxy. Real daemon; behind it a python3 http.server and a Node server
// (e2e/src/ports/backend.mjs). Requests go to 127.0.0.1:<proxy port> with a Host header.
import { Agent, type IncomingMessage, request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import WebSocket from 'ws';
import { PY, REPO, TestDaemon, waitFor } from '../testkit.js';

const T = 60_000;
const BACKEND = join(REPO, 'e2e/src/ports/backend.mjs');
const MB50 = 50 * 1024 * 1024;

let proxyPort = 0;
let d: TestDaemon;
let app = '';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
  reused: boolean;
}

/** One request through the proxy with `host` as its Host header. */
function call(
  host: string,
  path: string,
  opts: { method?: string; agent?: Agent; body?: Readable } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: proxyPort,
        path,
        method: opts.method ?? 'GET',
        headers: { host },
        agent: opts.agent,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, reused: req.reusedSocket }),
        );
      },
    );
    req.on('error', reject);
    if (opts.body) opts.body.pipe(req);
    else req.end();
  });
}

const y = (...lines: string[]) => `${lines.join('\n')}\n`;

beforeAll(async () => {
  proxyPort = await freePort();
  d = new TestDaemon('kepler-e2e-proxy', { KEPLER_PROXY_ADDR: `127.0.0.1:${proxyPort}` });
  await d.start();
  app = d.writeConfig(
    y(
      'services:',
      '  web:',
      `    command: ["sh", "-c", "exec ${PY} -m http.server \\"$PORT\\" --bind 127.0.0.1"]`,
      '    hostname: web.localhost',
      '    healthcheck: {tcp: port, interval: 200ms}',
      '  api:',
      `    command: ["${process.execPath}", "${BACKEND}"]`,
      '    hostname: api.localhost',
      '    healthcheck: {http: /health, interval: 200ms}',
    ),
    'app/kepler.yaml',
  );
  d.writeConfig('hello from python\n', 'app/hello.txt');
  expect((await d.cli(['start', '-d', '--wait', '--timeout', '30s', '-f', app])).code).toBe(0);
  await d.waitStatus(app, 'web', 'healthy');
  await d.waitStatus(app, 'api', 'healthy');
}, T);
afterAll(() => d.cleanup(), T);

describe('routing', () => {
  it(
    'routes by Host to each service, with X-Forwarded-*',
    async () => {
      expect((await call('web.localhost', '/hello.txt')).body).toBe('hello from python\n');
      const who = JSON.parse((await call(`api.localhost:${proxyPort}`, '/whoami')).body);
      expect(who.port).toBe((await d.service(app, 'api')).port);
      expect(who.headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(who.headers['x-forwarded-host']).toBe(`api.localhost:${proxyPort}`);
      expect(who.headers['x-forwarded-proto']).toBe('http');
    },
    T,
  );

  it(
    'ps shows each hostname as a URL on the proxy',
    async () => {
      const ps = await d.cli(['ps', '-f', app]);
      expect(ps.stdout).toContain(`http://web.localhost:${proxyPort}`);
      expect((await d.service(app, 'api')).url).toBe(`http://api.localhost:${proxyPort}`);
    },
    T,
  );

  it(
    'keeps connections alive: one client socket, one backend socket, reused',
    async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const first = await call('api.localhost', '/whoami', { agent });
      const second = await call('api.localhost', '/whoami', { agent });
      agent.destroy();
      expect(second.reused).toBe(true);
      expect(JSON.parse(second.body).remotePort).toBe(JSON.parse(first.body).remotePort);
    },
    T,
  );

  it(
    'an unknown Host gets 404 listing the known routes',
    async () => {
      const r = await call('nope.localhost', '/');
      expect(r.status).toBe(404);
      expect(r.body).toContain('nope.localhost');
      expect(r.body).toContain(`http://api.localhost:${proxyPort} -> service api of ${app}`);
      expect(r.body).toContain(`http://web.localhost:${proxyPort} -> service web of ${app}`);
    },
    T,
  );
});

describe('streaming', () => {
  it(
    'streams a 50 MB download',
    async () => {
      const bytes = await new Promise<number>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port: proxyPort,
            path: `/bytes?n=${MB50}`,
            headers: { host: 'api.localhost' },
          },
          (res) => {
            let n = 0;
            res.on('data', (c: Buffer) => {
              n += c.length;
            });
            res.on('end', () => resolve(n));
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(bytes).toBe(MB50);
    },
    T,
  );

  it(
    'streams a 50 MB upload',
    async () => {
      const chunk = Buffer.alloc(1024 * 1024, 97);
      const body = Readable.from(
        (function* () {
          for (let i = 0; i < 50; i++) yield chunk;
        })(),
      );
      const r = await call('api.localhost', '/upload', { method: 'POST', body });
      expect(JSON.parse(r.body)).toEqual({ bytes: MB50 });
    },
    T,
  );
});

describe('WebSocket', () => {
  it(
    'passes an upgrade through: messages are echoed',
    async () => {
      const ws = new WebSocket(`ws://127.0.0.1:${proxyPort}/echo`, { headers: { host: 'api.localhost' } });
      const echoed = await new Promise<string[]>((resolve, reject) => {
        const got: string[] = [];
        ws.on('open', () => {
          ws.send('hello');
          ws.send('world');
        });
        ws.on('message', (data) => {
          got.push(String(data));
          if (got.length === 2) resolve(got);
        });
        ws.on('error', reject);
      });
      ws.close();
      expect(echoed).toEqual(['hello', 'world']);
    },
    T,
  );
});

describe('services not running', () => {
  it(
    'a starting service gets 503 with Retry-After; a stopped one 502 naming it',
    async () => {
      const slow = d.writeConfig(
        y(
          'services:',
          '  slow:',
          '    command: ["sleep", "1000"]',
          '    hostname: slow.localhost',
          '    hooks:',
          '      pre_start: {run: "sleep 1000"}',
        ),
        'slow/kepler.yaml',
      );
      expect((await d.cli(['start', '-d', '-f', slow])).code).toBe(0);
      await d.waitStatus(slow, 'slow', 'starting');
      const starting = await waitFor(async () => {
        const r = await call('slow.localhost', '/');
        return r.status === 503 ? r : null;
      }, 'a 503');
      expect(starting.headers['retry-after']).toBe('1');
      expect(starting.body).toContain(`service slow of ${slow} is starting`);
      expect((await d.cli(['stop', '-f', slow])).code).toBe(0);
      // The proxy's thread gets the new status right after the change: poll rather than race it.
      const stopped = await waitFor(async () => {
        const r = await call('slow.localhost', '/');
        return r.body.includes('is stopped') ? r : null;
      }, 'a 502 for the stopped service');
      expect(stopped.status).toBe(502);
      expect(stopped.body).toContain(`service slow of ${slow} is stopped`);
    },
    T,
  );

  it(
    'a hostname another config claimed fails the second start, naming the first',
    async () => {
      const twin = d.writeConfig(
        y('services:', '  web2:', '    command: ["sleep", "1000"]', '    hostname: web.localhost'),
        'twin/kepler.yaml',
      );
      await d.cli(['start', '-d', '-f', twin]);
      const info = await d.waitStatus(twin, 'web2', 'failed');
      expect(info.reason).toBe(`hostname web.localhost is already routed to service web of ${app}`);
    },
    T,
  );
});

describe('overrides at start (Canopus runtime file as an overlay)', () => {
  it(
    'kepler -f kepler.yaml -f runtime.yaml up: a fixed port with a hostname, a hostname with an allocated port',
    async () => {
      const webPort = await freePort();
      const base = d.writeConfig(
        y(
          'services:',
          '  site:',
          `    command: ["sh", "-c", "exec ${PY} -m http.server \\"$PORT\\" --bind 127.0.0.1"]`,
          '  backend:',
          `    command: ["${process.execPath}", "${BACKEND}"]`,
        ),
        'canopus/kepler.yaml',
      );
      const runtime = d.writeConfig(
        y(
          'services:',
          '  site:',
          '    hostname: site.localhost',
          `    port: ${webPort}`,
          '  backend:',
          '    hostname: backend.localhost',
        ),
        'canopus/runtime.yaml',
      );
      const r = await d.cli(['-f', base, '-f', runtime, 'up', '-d', '--wait', '--timeout', '30s']);
      expect(r.code).toBe(0);
      expect((await d.service(base, 'site')).port).toBe(webPort);
      const backend = await d.service(base, 'backend');
      expect(backend.url).toBe(`http://backend.localhost:${proxyPort}`);
      const who = await waitFor(async () => {
        const a = await call('backend.localhost', '/whoami');
        return a.status === 200 ? JSON.parse(a.body) : null;
      }, 'backend through the proxy');
      expect(who.port).toBe(backend.port);
      await waitFor(async () => (await call('site.localhost', '/')).status === 200, 'site through the proxy');
      expect((await d.cli(['stop', '-f', base])).code).toBe(0);
    },
    T,
  );
});
