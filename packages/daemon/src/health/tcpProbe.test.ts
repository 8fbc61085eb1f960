import net from 'node:net';
import { closedPort, closeServers, listen } from './__tests__/support.js';
import { runTcpProbe } from './tcpProbe.js';

afterEach(closeServers);

describe('runTcpProbe', () => {
  test('passes when something listens', async () => {
    const { port } = await listen(net.createServer());
    expect(await runTcpProbe('127.0.0.1', port, 1000)).toEqual({
      ok: true,
      output: `connected to 127.0.0.1:${port}`,
    });
  });

  test('fails when nothing listens', async () => {
    const port = await closedPort();
    const r = await runTcpProbe('127.0.0.1', port, 1000);
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/ECONNREFUSED/);
  });

  test('an abort fails it', async () => {
    const ac = new AbortController();
    ac.abort();
    const { port } = await listen(net.createServer());
    expect(await runTcpProbe('127.0.0.1', port, 1000, ac.signal)).toEqual({
      ok: false,
      output: 'health check aborted',
    });
  });
});
