import { createServer, type Server } from 'node:net';
import { findPortHolders } from './portHolders.js';

describe('findPortHolders', () => {
  let server: Server;
  let port = 0;
  beforeAll(async () => {
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('finds the process listening on a port, with its command line', () => {
    const holders = findPortHolders(port);
    const me = holders?.find((h) => h.pid === process.pid);
    expect(me?.command).toContain('node');
    expect(me?.serviceId).toBe(process.env.KEPLER_SERVICE_ID ?? null);
  });

  it('returns null for a port nothing listens on', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const free = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    expect(findPortHolders(free)).toBeNull();
  });
});
