// Issue 15: `port: N | auto`, PORT in the environment, health checks on the own port, and who holds a
// port. Real daemon, real servers (python3 -m http.server, a Node server) on 127.0.0.1.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { PY, REPO, TestDaemon, waitFor } from '../testkit.js';

const T = 60_000;
const BACKEND = join(REPO, 'e2e/src/ports/backend.mjs');

let d: TestDaemon;
let proxyPort = 0;
const foreign: ChildProcess[] = [];
beforeAll(async () => {
  proxyPort = await freePort();
  d = new TestDaemon('kepler-e2e-ports', { KEPLER_PROXY_ADDR: `127.0.0.1:${proxyPort}` });
  await d.start();
}, T);
afterAll(async () => {
  for (const p of foreign) p.kill('SIGKILL');
  await d.cleanup();
}, T);

/** A port the OS calls free now. */
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

/** Whether a listen on 127.0.0.1:port succeeds now. */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
  });
}

async function get(url: string): Promise<string> {
  const r = await fetch(url);
  return r.text();
}

const y = (...lines: string[]) => `${lines.join('\n')}\n`;
const node = (extra: string[] = []) => [`    command: ["${process.execPath}", "${BACKEND}"]`, ...extra];

describe('port: auto', () => {
  it(
    'gives a free port as PORT, shows it in ps, and keeps it across restart and a daemon restart',
    async () => {
      const config = d.writeConfig(
        y(
          'services:',
          '  web:',
          ...node(['    port: auto', '    healthcheck:', '      http: /health', '      interval: 200ms']),
        ),
        'auto/kepler.yaml',
      );
      expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
      const info = await d.waitStatus(config, 'web', 'healthy');
      const port = info.port as number;
      expect(port).toBeGreaterThan(0);
      expect(JSON.parse(await get(`http://127.0.0.1:${port}/whoami`)).port).toBe(port);
      const table = await d.cli(['ps', '-f', config]);
      expect(table.stdout).toMatch(/PORTS/);
      expect(table.stdout).toContain(String(port));
      expect((await d.cli(['inspect', 'web', '-f', config])).stdout).toContain(`port ${port} (auto)`);

      expect((await d.cli(['restart', '-d', '--wait', '-f', config])).code).toBe(0);
      await d.waitStatus(config, 'web', 'healthy');
      expect((await d.service(config, 'web')).port).toBe(port);

      await d.crash();
      await d.start();
      expect((await d.service(config, 'web')).port).toBe(port);
      expect((await d.cli(['restart', '-d', '--wait', '-f', config])).code).toBe(0);
      await d.waitStatus(config, 'web', 'healthy');
      expect((await d.service(config, 'web')).port).toBe(port);
      await waitFor(async () => (await get(`http://127.0.0.1:${port}/health`)) === 'ok', 'the backend again');
      expect((await d.cli(['stop', '-f', config])).code).toBe(0);
    },
    T,
  );

  it(
    'auto ports of two configs never collide',
    async () => {
      const services = (n: number) =>
        Array.from({ length: n }, (_, i) => [
          `  s${i}:`,
          '    command: ["sleep", "1000"]',
          '    port: auto',
        ]).flat();
      const a = d.writeConfig(y('services:', ...services(4)), 'collide-a/kepler.yaml');
      const b = d.writeConfig(y('services:', ...services(4)), 'collide-b/kepler.yaml');
      const [ra, rb] = await Promise.all([d.cli(['start', '-d', '-f', a]), d.cli(['start', '-d', '-f', b])]);
      expect([ra.code, rb.code]).toEqual([0, 0]);
      const ports = [...(await d.ps(a)), ...(await d.ps(b))].map((s) => s.port);
      expect(ports.every((p) => typeof p === 'number')).toBe(true);
      expect(new Set(ports).size).toBe(8);
      await Promise.all([d.cli(['stop', '-f', a]), d.cli(['stop', '-f', b])]);
    },
    T,
  );
});

describe('the port ps shows', () => {
  it(
    "is the current definition's: a fixed port before the first start, none once recreate dropped it",
    async () => {
      const port = await freePort();
      const withPort = y('services:', '  web:', '    command: ["sleep", "1000"]', `    port: ${port}`);
      const config = d.writeConfig(withPort, 'shown/kepler.yaml');
      expect((await d.cli(['recreate', '-f', config])).code).toBe(0);
      expect((await d.service(config, 'web')).port).toBe(port);
      expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
      await d.waitStatus(config, 'web', 'running');
      expect((await d.cli(['stop', '-f', config])).code).toBe(0);
      d.writeConfig(y('services:', '  web:', '    command: ["sleep", "1000"]'), 'shown/kepler.yaml');
      expect((await d.cli(['recreate', '-f', config])).code).toBe(0);
      expect((await d.service(config, 'web')).port).toBeUndefined();
      expect((await d.cli(['ps', '-f', config])).stdout).not.toMatch(/PORTS/);
      await d.cli(['down', '-f', config]);
    },
    T,
  );
});

describe('who holds a port', () => {
  it(
    'a fixed port held by a foreign process fails the start at once, naming it',
    async () => {
      const port = await freePort();
      const py = spawn(PY, ['-m', 'http.server', String(port), '--bind', '127.0.0.1'], { stdio: 'ignore' });
      foreign.push(py);
      await waitFor(async () => !(await bindable(port)), 'python to listen');
      const config = d.writeConfig(
        y(
          'services:',
          '  web:',
          `    command: ["${PY}", "-m", "http.server", "${port}"]`,
          `    port: ${port}`,
        ),
        'taken/kepler.yaml',
      );
      const r = await d.cli(['start', '-d', '--wait', '--timeout', '20s', '-f', config]);
      expect(r.code).not.toBe(0);
      const info = await d.waitStatus(config, 'web', 'failed');
      expect(info.reason).toBe(
        `port ${port} is in use by pid ${py.pid} (${PY} -m http.server ${port} --bind 127.0.0.1), not started by Kepler`,
      );
      py.kill('SIGKILL');
    },
    T,
  );

  it(
    'a fixed port held by another config names its service and config',
    async () => {
      const port = await freePort();
      const api = d.writeConfig(
        y('services:', '  api:', ...node([`    port: ${port}`])),
        'holder/kepler.yaml',
      );
      const other = d.writeConfig(
        y('services:', '  web:', ...node([`    port: ${port}`])),
        'second/kepler.yaml',
      );
      expect((await d.cli(['start', '-d', '-f', api])).code).toBe(0);
      await waitFor(async () => !(await bindable(port)), 'api to listen');
      await d.cli(['start', '-d', '--wait', '--timeout', '20s', '-f', other]);
      const info = await d.waitStatus(other, 'web', 'failed');
      expect(info.reason).toMatch(
        new RegExp(
          `^port ${port} is in use by pid \\d+ \\(.*backend\\.mjs\\), started by service api of ${api}$`,
        ),
      );
      await d.cli(['stop', '-f', api]);
    },
    T,
  );

  it(
    'after stop the port is free, even when a child that left the group held the socket',
    async () => {
      const port = await freePort();
      // The parent binds, forks a child that leaves its session and keeps the socket, then both sleep.
      const script = [
        'import os, socket, time',
        's = socket.socket()',
        's.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)',
        "s.bind(('127.0.0.1', int(os.environ['PORT'])))",
        's.listen()',
        'if os.fork() == 0:',
        '    os.setsid()',
        'time.sleep(1000)',
      ].join('\n');
      const config = d.writeConfig(
        y(
          'services:',
          '  keeper:',
          `    command: ["${PY}", "-c", ${JSON.stringify(script)}]`,
          `    port: ${port}`,
        ),
        'keeper/kepler.yaml',
      );
      expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
      await waitFor(async () => !(await bindable(port)), 'the keeper to listen');
      expect((await d.cli(['stop', '-f', config])).code).toBe(0);
      expect(await bindable(port)).toBe(true);
    },
    T,
  );
});

describe('the reverse proxy listens only while needed', () => {
  it(
    'binds when a loaded config declares a hostname, and lets go when it is gone',
    async () => {
      expect(await bindable(proxyPort)).toBe(true);
      const config = d.writeConfig(
        y('services:', '  site:', '    command: ["sleep", "1000"]', '    hostname: site.localhost'),
        'hosted/kepler.yaml',
      );
      expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
      await waitFor(async () => !(await bindable(proxyPort)), 'the proxy to listen');
      expect((await d.cli(['down', '-f', config])).code).toBe(0);
      await waitFor(() => bindable(proxyPort), 'the proxy to close');
    },
    T,
  );
});

describe('a proxy address someone else holds', () => {
  it(
    "ps warns that the config's hostnames are not routed, naming the address and why",
    async () => {
      const port = await freePort();
      const holder = createServer();
      await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
      const other = new TestDaemon('kepler-e2e-proxy-taken', { KEPLER_PROXY_ADDR: `127.0.0.1:${port}` });
      try {
        await other.start();
        const config = other.writeConfig(
          y('services:', '  site:', '    command: ["sleep", "1000"]', '    hostname: site.localhost'),
          'taken-proxy/kepler.yaml',
        );
        expect((await other.cli(['start', '-d', '-f', config])).code).toBe(0);
        const warned = new RegExp(
          `^warning: ${config}: reverse proxy: cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE.*: hostnames are not routed`,
          'm',
        );
        await waitFor(async () => warned.test((await other.cli(['ps', '-f', config])).stderr), 'the warning');
      } finally {
        await other.cleanup();
        holder.close();
      }
    },
    T,
  );
});
