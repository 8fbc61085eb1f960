import { closedPort, closeServers, httpServer, waitFor } from './__tests__/support.js';
import { runHttpProbe } from './httpProbe.js';

afterEach(closeServers);

describe('runHttpProbe', () => {
  test('2xx passes with the status line', async () => {
    const { port } = await httpServer((_req, res) => res.end('ok'));
    expect(await runHttpProbe(`http://127.0.0.1:${port}/health`, 1000)).toEqual({
      ok: true,
      output: 'HTTP 200 OK',
    });
  });

  test('3xx passes and is not followed', async () => {
    let targetHits = 0;
    const target = await httpServer((_req, res) => {
      targetHits++;
      res.end();
    });
    const { port } = await httpServer((_req, res) => {
      res.writeHead(302, { location: `http://127.0.0.1:${target.port}/` });
      res.end();
    });
    expect(await runHttpProbe(`http://127.0.0.1:${port}/`, 1000)).toEqual({
      ok: true,
      output: 'HTTP 302 Found',
    });
    expect(targetHits).toBe(0);
  });

  test('4xx and 5xx fail', async () => {
    const { port } = await httpServer((req, res) => {
      res.writeHead(req.url === '/missing' ? 404 : 503);
      res.end();
    });
    expect(await runHttpProbe(`http://127.0.0.1:${port}/missing`, 1000)).toEqual({
      ok: false,
      output: 'HTTP 404 Not Found',
    });
    expect(await runHttpProbe(`http://127.0.0.1:${port}/`, 1000)).toEqual({
      ok: false,
      output: 'HTTP 503 Service Unavailable',
    });
  });

  test('the request path and query are sent', async () => {
    let seen = '';
    const { port } = await httpServer((req, res) => {
      seen = req.url ?? '';
      res.end();
    });
    await runHttpProbe(`http://127.0.0.1:${port}/health?deep=1`, 1000);
    expect(seen).toBe('/health?deep=1');
  });

  test('the body is not awaited: a response that never ends still passes', async () => {
    const { port } = await httpServer((_req, res) => {
      res.writeHead(200);
      res.write('x'.repeat(100000)); // and never res.end()
    });
    expect(await runHttpProbe(`http://127.0.0.1:${port}/`, 1000)).toEqual({
      ok: true,
      output: 'HTTP 200 OK',
    });
  });

  test('a server that never answers times out and the connection is dropped', async () => {
    let closed = false;
    const { port } = await httpServer((req) => {
      req.socket.on('close', () => {
        closed = true;
      });
    });
    const started = Date.now();
    const r = await runHttpProbe(`http://127.0.0.1:${port}/`, 100);
    expect(Date.now() - started).toBeGreaterThanOrEqual(99);
    expect(r).toEqual({ ok: false, output: 'timed out after 100 ms' });
    await waitFor(() => closed, 'the server to see the connection close');
  });

  test('connection refused, bad URLs and an abort fail without throwing', async () => {
    const port = await closedPort();
    const refused = await runHttpProbe(`http://127.0.0.1:${port}/`, 1000);
    expect(refused.ok).toBe(false);
    expect(refused.output).toMatch(/ECONNREFUSED/);
    expect(await runHttpProbe('not a url', 1000)).toEqual({ ok: false, output: 'invalid URL: not a url' });
    expect(await runHttpProbe('ftp://127.0.0.1/', 1000)).toEqual({
      ok: false,
      output: 'unsupported URL scheme: ftp:',
    });
    const { port: slow } = await httpServer(() => {});
    const ac = new AbortController();
    const pending = runHttpProbe(`http://127.0.0.1:${slow}/`, 5000, ac.signal);
    ac.abort();
    expect(await pending).toEqual({ ok: false, output: 'health check aborted' });
  });
});
