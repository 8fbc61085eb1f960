import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DAEMON, TestDaemon } from '../testkit.js';

/** HTTP only when asked, and on a non-loopback address only with --http-public (then a warning). */
const daemons: TestDaemon[] = [];
afterAll(async () => {
  for (const d of daemons) await d.cleanup();
}, 60_000);

function fresh(name: string): TestDaemon {
  const d = new TestDaemon(name);
  daemons.push(d);
  return d;
}

test('without --http the daemon serves no HTTP and writes no token', async () => {
  const d = fresh('kepler-http-off');
  await d.start();
  expect(existsSync(join(d.stateDir, 'http.token'))).toBe(false);
  expect(existsSync(join(d.stateDir, 'http.json'))).toBe(false);
  const r = await d.cli(['dashboard', '--no-open']);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('does not serve HTTP');
});

test('a non-loopback address is refused without --http-public, by flag, environment and CLI', async () => {
  const d = fresh('kepler-http-refused');
  for (const [args, env] of [
    [['--http', '0.0.0.0:0'], {}],
    [[], { KEPLER_HTTP: '0.0.0.0:0' }],
  ] as const) {
    const r = spawnSync(process.execPath, [DAEMON, ...args], {
      env: { ...process.env, ...d.env, ...env },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /refusing to serve HTTP on 0\.0\.0\.0, which is not a loopback address.*--http-public/,
    );
  }
  const viaCli = await d.cli(['daemon', 'start', '-d', '--http', '0.0.0.0:0'], { timeoutMs: 30_000 });
  expect(viaCli.code).toBe(1);
  expect(viaCli.stderr).toContain('refusing to serve HTTP on 0.0.0.0');
  expect((await d.cli(['daemon', 'start', '-d', '--http-public'])).stderr).toContain(
    '--http-public needs --http',
  );
  expect(existsSync(join(d.stateDir, 'kepler.sock'))).toBe(false);
}, 60_000);

test('with --http-public it serves there and warns', async () => {
  const d = fresh('kepler-http-public');
  await d.start({ args: ['--http', '0.0.0.0:0', '--http-public'] });
  const { url } = JSON.parse(readFileSync(join(d.stateDir, 'http.json'), 'utf8')) as { url: string };
  expect(url).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
  expect(d.log).toContain('warning: the HTTP API listens on');
  const res = await fetch(url.replace('0.0.0.0', '127.0.0.1') + '/api/v1/status');
  expect(res.status).toBe(401);
}, 60_000);
