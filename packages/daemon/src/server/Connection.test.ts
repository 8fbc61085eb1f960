import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ByteBudget, DaemonClient, PROTOCOL_VERSION, RemoteError, type StreamEvent } from '@kepler/protocol';
import { Connection } from './Connection.js';
import type { HandlerTable } from './handlers/index.js';

let dir: string;
let server: Server;
let logged: string[];
let socketPath: string;

/** A daemon whose handlers have a bug: `ps` builds an invalid row; `logs` emits an invalid event. */
const buggy = {
  hello: async () => ({ protocol: PROTOCOL_VERSION, version: 'test', pid: process.pid }),
  ps: async () => ({
    services: [
      {
        config: '/a/kepler.yaml',
        name: 'web',
        status: 'running',
        pid: 10,
        exitCode: null,
        signal: null,
        restarts: -5,
        startedAt: null,
        stoppedAt: null,
        health: null,
        healthFailures: 0,
        lastHealthOutput: null,
        reason: null,
      },
    ],
  }),
  logs: async (_req: unknown, ctx: { emit(e: StreamEvent): void }) => {
    ctx.emit({ type: 'progress', service: 'web', message: 7 } as unknown as StreamEvent);
    ctx.emit({ type: 'progress', service: 'web', message: 'fine' });
    return { lines: 0 };
  },
} as unknown as HandlerTable;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kepler-conn-'));
  socketPath = join(dir, 'sock');
  logged = [];
  server = createServer((socket) => {
    new Connection(socket, buggy, {
      log: (l) => logged.push(l),
      logLimit: (l) => logged.push(l),
      helloTimeoutMs: 5000,
      budget: new ByteBudget(32 * 1024 * 1024),
      frameStallMs: 10_000,
      isShuttingDown: () => false,
    });
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
});
afterEach(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

test('a result the client would reject is answered INTERNAL and logged; the connection stays usable', async () => {
  const client = await DaemonClient.connect(socketPath);
  try {
    const err = await client.request({ type: 'ps', all: true }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as RemoteError).code).toBe('INTERNAL');
    expect((err as Error).message).toMatch(/invalid ps result: .*result\.services\[0\]\.restarts/);
    expect(logged.join('\n')).toMatch(/internal error handling ps: .*restarts/);
    // The same connection still answers.
    const events: StreamEvent[] = [];
    const config = { path: '/a/kepler.yaml', env: {} };
    await client.stream({ type: 'logs', config, services: [] }, (e) => events.push(e)).result;
    expect(events).toEqual([{ type: 'progress', service: 'web', message: 'fine' }]);
    expect(logged.join('\n')).toMatch(/dropped an invalid logs event: .*event\.message/);
  } finally {
    client.close();
  }
});
