/** A service's network keys: `port`, `hostname`, and health checks on the service's own port. */
import { join } from 'node:path';
import { loadConfig } from './loadConfig.js';
import { bakeYaml, cleanupTmpDirs, errorsOf, TEST_ENV, tmpDirWith } from './testkit/tmpConfig.js';

afterAll(cleanupTmpDirs);

const y = (...lines: string[]) => `${lines.join('\n')}\n`;
const svc = (...lines: string[]) => y('services:', '  web:', '    command: ["sleep", "60"]', ...lines);

describe('port and hostname', () => {
  it('bakes a fixed port, auto, a quoted port, and leaves both out when unset', async () => {
    expect((await bakeYaml(svc('    port: 8080'))).services.web?.port).toBe(8080);
    expect((await bakeYaml(svc('    port: auto'))).services.web?.port).toBe('auto');
    expect((await bakeYaml(svc('    port: "9000"'))).services.web?.port).toBe(9000);
    const plain = (await bakeYaml(svc())).services.web;
    expect(plain && 'port' in plain).toBe(false);
    expect(plain && 'hostname' in plain).toBe(false);
  });

  it('a hostname without a port gets port: auto', async () => {
    const web = (await bakeYaml(svc('    hostname: web.localhost'))).services.web;
    expect(web?.hostname).toBe('web.localhost');
    expect(web?.port).toBe('auto');
  });

  it('reports bad ports and host names at their key', async () => {
    expect(await errorsOf(svc('    port: 70000'))).toEqual([
      'kepler.yaml:4:11 services.web.port: must be a port between 1 and 65535, got 70000',
    ]);
    expect(await errorsOf(svc('    port: sometimes'))).toEqual([
      'kepler.yaml:4:11 services.web.port: expected a port number (1-65535) or auto, got "sometimes"',
    ]);
    expect(await errorsOf(svc('    hostname: Web.localhost'))).toEqual([
      'kepler.yaml:4:15 services.web.hostname: write it in lower case: "web.localhost"',
    ]);
    expect(await errorsOf(svc('    hostname: "web_1.localhost"'))).toEqual([
      'kepler.yaml:4:15 services.web.hostname: "web_1.localhost" is not a host name (letters, digits, hyphens and dots, e.g. web.localhost)',
    ]);
  });
});

describe('a hostname shared by two services of one config', () => {
  it('is an error at the second one: the proxy routes a name to one service', async () => {
    const yaml = y(
      'services:',
      '  a:',
      '    command: ["sleep", "60"]',
      '    hostname: app.localhost',
      '  b:',
      '    command: ["sleep", "60"]',
      '    hostname: app.localhost',
    );
    expect(await errorsOf(yaml)).toEqual([
      "kepler.yaml:7:15 services.b.hostname: app.localhost is already service a's hostname (the proxy routes a name to one service)",
    ]);
  });
});

describe('a fixed port shared by two services of one config', () => {
  it('is an error at the second one; auto ports are not', async () => {
    const yaml = (a: string, b: string) =>
      y(
        'services:',
        '  a:',
        '    command: ["sleep", "60"]',
        `    port: ${a}`,
        '  b:',
        '    command: ["sleep", "60"]',
        `    port: ${b}`,
      );
    expect(await errorsOf(yaml('8080', '"8080"'))).toEqual([
      "kepler.yaml:7:11 services.b.port: 8080 is already service a's port (one service can listen on it)",
    ]);
    expect((await bakeYaml(yaml('auto', 'auto'))).services.b?.port).toBe('auto');
    expect((await bakeYaml(yaml('8080', '8081'))).services.b?.port).toBe(8081);
  });
});

describe('health checks on the own port', () => {
  it('bakes http: /path and tcp: port to the own-port probe', async () => {
    const http = await bakeYaml(svc('    port: auto', '    healthcheck:', '      http: /health'));
    expect(http.services.web?.healthcheck?.probe).toEqual({ kind: 'ownPort', path: '/health' });
    const tcp = await bakeYaml(svc('    hostname: web.localhost', '    healthcheck:', '      tcp: port'));
    expect(tcp.services.web?.healthcheck?.probe).toEqual({ kind: 'ownPort', path: null });
  });

  it('a path or port on a service without a port is an error at its key', async () => {
    expect(await errorsOf(svc('    healthcheck:', '      http: /health'))).toEqual([
      "kepler.yaml:5:13 services.web.healthcheck.http: probes the service's own port, and this service has no port (set port: N or port: auto) (give a full URL, or set port)",
    ]);
    expect(await errorsOf(svc('    healthcheck:', '      tcp: port'))).toEqual([
      "kepler.yaml:5:12 services.web.healthcheck.tcp: probes the service's own port, and this service has no port (set port: N or port: auto) (give HOST:PORT, or set port)",
    ]);
  });
});

describe('overrides at start (a later -f file)', () => {
  it("Canopus's runtime file sets a port and host names over the services", async () => {
    const dir = tmpDirWith({
      'kepler.yaml': y(
        'services:',
        '  web:',
        '    command: ["python3", "-m", "http.server"]',
        '  api:',
        '    command: ["node", "api.js"]',
      ),
      'runtime.yaml': y(
        'services:',
        '  web:',
        '    hostname: web.localhost',
        '    port: 8000',
        '  api:',
        '    hostname: api.localhost',
      ),
    });
    const baked = await loadConfig({
      path: join(dir, 'kepler.yaml'),
      overlays: [join(dir, 'runtime.yaml')],
      env: TEST_ENV,
      now: new Date('2030-01-01T00:00:00Z'),
      onLuaPrint: () => {},
    });
    expect(baked.services.web).toMatchObject({ port: 8000, hostname: 'web.localhost' });
    expect(baked.services.api).toMatchObject({ port: 'auto', hostname: 'api.localhost' });
  });
});
