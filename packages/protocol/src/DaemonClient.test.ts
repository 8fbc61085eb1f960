import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeMessage } from './codec.js';
import { connectError, DaemonClient } from './DaemonClient.js';
import { ProtocolError, RemoteError } from './errors.js';
import { PROTOCOL_VERSION, type StreamEvent } from './messages.js';
import { FakeDaemon, Waiter } from './testkit/fakeDaemon.js';
import { EVENT_SAMPLES, RESULT_SAMPLES } from './testkit/samples.js';

async function rejectionOf(promise: Promise<unknown>): Promise<ProtocolError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ProtocolError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(opts?: Parameters<typeof FakeDaemon.start>[0]) {
  const daemon = await FakeDaemon.start(opts);
  cleanups.push(() => daemon.stop());
  const client = await DaemonClient.connect(daemon.path, { client: 'test-cli' });
  cleanups.push(() => client.close());
  return { daemon, client };
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kepler-proto-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('DaemonClient.connect', () => {
  it('performs the hello exchange first', async () => {
    const { daemon, client } = await setup();
    expect(client.daemon).toEqual({ protocol: PROTOCOL_VERSION, version: 'test', pid: process.pid });
    expect(daemon.connections).toHaveLength(1);
    expect(daemon.received).toEqual([]); // only hello so far, which the fake does not record
  });

  it('sends the protocol and client name in hello', async () => {
    const seen: unknown[] = [];
    const daemon = await FakeDaemon.start({
      hello: (conn, id, request) => {
        seen.push({ id, request });
        conn.send({
          kind: 'response',
          id,
          ok: true,
          result: { protocol: PROTOCOL_VERSION, version: 'x', pid: 1 },
        });
      },
    });
    cleanups.push(() => daemon.stop());
    const client = await DaemonClient.connect(daemon.path, { client: 'kepler-cli/9.9.9' });
    cleanups.push(() => client.close());
    expect(seen).toEqual([
      { id: 1, request: { type: 'hello', protocol: PROTOCOL_VERSION, client: 'kepler-cli/9.9.9' } },
    ]);
  });

  it('maps a missing socket to DAEMON_NOT_RUNNING', async () => {
    const err = await rejectionOf(DaemonClient.connect(join(tempDir(), 'kepler.sock')));
    expect(err.code).toBe('DAEMON_NOT_RUNNING');
  });

  it('maps a stale socket nobody listens on (ECONNREFUSED) to DAEMON_NOT_RUNNING', async () => {
    const path = join(tempDir(), 'kepler.sock');
    // A process that binds the socket and exits without closing it leaves the file, like a crash.
    const child = spawnSync(process.execPath, [
      '-e',
      `require('node:net').createServer().listen(${JSON.stringify(path)}, () => process.exit(0))`,
    ]);
    expect(child.status).toBe(0);
    const err = await rejectionOf(DaemonClient.connect(path));
    expect(err.code).toBe('DAEMON_NOT_RUNNING');
  });

  it('maps EACCES and EPERM to PERMISSION_DENIED', () => {
    // Tests run as root, which bypasses socket permissions, so the mapping is checked directly.
    for (const code of ['EACCES', 'EPERM']) {
      const errno = Object.assign(new Error(`connect ${code}`), { code });
      expect(connectError(errno, '/x.sock').code).toBe('PERMISSION_DENIED');
    }
    expect(connectError(Object.assign(new Error('x'), { code: 'ENOENT' }), '/x.sock').code).toBe(
      'DAEMON_NOT_RUNNING',
    );
  });

  it('turns a daemon of another protocol into the one line', async () => {
    const daemon = await FakeDaemon.start({ hello: { protocol: PROTOCOL_VERSION + 1 } });
    cleanups.push(() => daemon.stop());
    const err = await rejectionOf(DaemonClient.connect(daemon.path));
    expect(err.code).toBe('PROTOCOL_MISMATCH');
    expect(err.message).toBe(
      `the daemon runs protocol ${PROTOCOL_VERSION + 1}, this CLI speaks ${PROTOCOL_VERSION}: restart the daemon`,
    );
  });

  it('gives the same line for a PROTOCOL_MISMATCH error whatever else the daemon changed', async () => {
    const daemon = await FakeDaemon.start({
      hello: (conn, id) => {
        // What an old daemon might send: the frozen envelope, with its own wording and extra fields.
        conn.socket.write(
          encodeMessage({
            kind: 'response',
            id,
            ok: false,
            error: { code: 'PROTOCOL_MISMATCH', message: 'go away', data: { protocol: 0, more: [1] } },
            extra: true,
          }),
        );
      },
    });
    cleanups.push(() => daemon.stop());
    const err = await rejectionOf(DaemonClient.connect(daemon.path));
    expect(err.code).toBe('PROTOCOL_MISMATCH');
    expect(err.message).toBe(
      `the daemon runs protocol 0, this CLI speaks ${PROTOCOL_VERSION}: restart the daemon`,
    );
  });

  it('reads the protocol of a newer daemon even if the rest of its hello result differs', async () => {
    const daemon = await FakeDaemon.start({
      hello: (conn, id) => {
        conn.socket.write(
          encodeMessage({ kind: 'response', id, ok: true, result: { protocol: 9, version: 42 } }),
        );
      },
    });
    cleanups.push(() => daemon.stop());
    const err = await rejectionOf(DaemonClient.connect(daemon.path));
    expect(err.message).toBe(
      `the daemon runs protocol 9, this CLI speaks ${PROTOCOL_VERSION}: restart the daemon`,
    );
  });

  it('times out when the daemon never answers hello', async () => {
    const daemon = await FakeDaemon.start({ hello: () => undefined });
    cleanups.push(() => daemon.stop());
    const err = await rejectionOf(DaemonClient.connect(daemon.path, { connectTimeoutMs: 200 }));
    expect(err.code).toBe('TIMEOUT');
    await daemon.waiter.until('server side closed', () => daemon.closedConnections.length || undefined);
  });

  it('reports a daemon that hangs up during hello as CONNECTION_CLOSED', async () => {
    const daemon = await FakeDaemon.start({ hello: (conn) => conn.destroy() });
    cleanups.push(() => daemon.stop());
    const err = await rejectionOf(DaemonClient.connect(daemon.path));
    expect(err.code).toBe('CONNECTION_CLOSED');
  });

  it('rejects with the daemon error when hello is refused for another reason', async () => {
    const daemon = await FakeDaemon.start({
      hello: (conn, id) =>
        conn.send({
          kind: 'response',
          id,
          ok: false,
          error: { code: 'SHUTTING_DOWN', message: 'the daemon is stopping' },
        }),
    });
    cleanups.push(() => daemon.stop());
    const err = await rejectionOf(DaemonClient.connect(daemon.path));
    expect(err).toBeInstanceOf(RemoteError);
    expect(err.code).toBe('SHUTTING_DOWN');
  });
});

describe('DaemonClient requests', () => {
  it('matches concurrent requests answered out of order by id', async () => {
    const { daemon, client } = await setup();
    const ps = client.request({ type: 'ps' });
    const status = client.request({ type: 'status' });
    const stop = client.request({ type: 'stop', config: { path: '/a.yaml', env: {} }, services: ['web'] });
    const received = await daemon.frames(3);
    const ids = received.map((r) => r.frame.id);
    expect(ids).toEqual([2, 3, 4]); // hello took 1
    expect(received.map((r) => (r.frame.kind === 'request' ? r.frame.request.type : 'cancel'))).toEqual([
      'ps',
      'status',
      'stop',
    ]);
    const conn = received[0]!.conn;
    conn.send({ kind: 'response', id: 4, ok: true, result: RESULT_SAMPLES.stop[0]! });
    conn.send({ kind: 'response', id: 2, ok: true, result: RESULT_SAMPLES.ps[1]! });
    conn.send({ kind: 'response', id: 3, ok: true, result: RESULT_SAMPLES.status[0]! });
    expect((await stop).stopped).toEqual(['web', 'db']);
    expect((await ps).services.map((s) => s.name)).toEqual(['web', 'worker']);
    expect((await status).stateDir).toBe('/var/lib/kepler');
  });

  it('rejects an error response with the remote code, message and data, and keeps going', async () => {
    const { daemon, client } = await setup();
    const failing = client.request({ type: 'recreate', config: { path: '/a.yaml', env: {} } });
    const ok = client.request({ type: 'shutdown' });
    const [first, second] = await daemon.frames(2);
    first!.conn.send({
      kind: 'response',
      id: first!.frame.id,
      ok: false,
      error: { code: 'SERVICES_RUNNING', message: 'stop the config first', data: { running: ['web'] } },
    });
    second!.conn.send({ kind: 'response', id: second!.frame.id, ok: true, result: { stoppedConfigs: 1 } });
    const err = await rejectionOf(failing);
    expect(err).toBeInstanceOf(RemoteError);
    expect(err.code).toBe('SERVICES_RUNNING');
    expect(err.message).toBe('stop the config first');
    expect(err.data).toEqual({ running: ['web'] });
    expect(await ok).toEqual({ stoppedConfigs: 1 });
  });

  it('streams events tied to the request id, then cancels', async () => {
    const { daemon, client } = await setup();
    const events: StreamEvent[] = [];
    const waiter = new Waiter();
    const handle = client.stream(
      { type: 'logs', config: { path: '/a.yaml', env: {} }, services: [], follow: true },
      (event) => {
        events.push(event);
        waiter.notify();
      },
    );
    const other = client.request({ type: 'ps' });
    const [logs, ps] = await daemon.frames(2);
    const conn = logs!.conn;
    const id = logs!.frame.id;
    const [lines] = EVENT_SAMPLES.logLines.slice(1);
    conn.send({ kind: 'event', id, event: lines! });
    // An event for another request must not reach this stream.
    conn.send({ kind: 'event', id: ps!.frame.id, event: { type: 'quiescent' } });
    conn.send({ kind: 'event', id, event: { type: 'progress', service: 'web', message: 'tailing' } });
    await waiter.until('two events', () => (events.length >= 2 ? true : undefined));
    expect(events.map((e) => e.type)).toEqual(['logLines', 'progress']);

    handle.cancel();
    handle.cancel(); // sent once
    const [, , cancel] = await daemon.frames(3);
    expect(cancel!.frame).toEqual({ kind: 'cancel', id });
    conn.send({ kind: 'response', id, ok: true, result: { lines: 2 } });
    expect(await handle.result).toEqual({ lines: 2 });
    conn.send({ kind: 'response', id: ps!.frame.id, ok: true, result: { services: [] } });
    expect(await other).toEqual({ services: [] });
    expect(events).toHaveLength(2);
    expect(daemon.received.filter((r) => r.frame.kind === 'cancel')).toHaveLength(1);
  });

  it('cancels the stream and rejects its result when onEvent throws', async () => {
    const { daemon, client } = await setup();
    const handle = client.stream(
      { type: 'start', config: { path: '/a.yaml', env: {} }, services: [], mode: 'follow' },
      () => {
        throw new Error('printer broke');
      },
    );
    const [start] = await daemon.frames(1);
    start!.conn.send({ kind: 'event', id: start!.frame.id, event: { type: 'quiescent' } });
    await expect(handle.result).rejects.toThrow('printer broke');
    const [, cancel] = await daemon.frames(2);
    expect(cancel!.frame).toEqual({ kind: 'cancel', id: start!.frame.id });
    // The daemon's late response is ignored, and the connection still works.
    start!.conn.send({ kind: 'response', id: start!.frame.id, ok: true, result: RESULT_SAMPLES.start[0]! });
    const ps = client.request({ type: 'ps' });
    const [, , psFrame] = await daemon.frames(3);
    psFrame!.conn.send({ kind: 'response', id: psFrame!.frame.id, ok: true, result: { services: [] } });
    expect(await ps).toEqual({ services: [] });
  });

  it('rejects every pending request with CONNECTION_CLOSED when the socket closes', async () => {
    const { daemon, client } = await setup();
    const a = client.request({ type: 'ps' });
    const b = client.stream(
      { type: 'logs', config: { path: '/a.yaml', env: {} }, services: [], follow: true },
      () => undefined,
    );
    const [first] = await daemon.frames(2);
    first!.conn.destroy();
    expect((await rejectionOf(a)).code).toBe('CONNECTION_CLOSED');
    expect((await rejectionOf(b.result)).code).toBe('CONNECTION_CLOSED');
    await client.closed;
    expect(client.isClosed).toBe(true);
    expect((await rejectionOf(client.request({ type: 'status' }))).code).toBe('CONNECTION_CLOSED');
    b.cancel(); // no-op on a closed connection
  });

  it('close() rejects pending requests and closes the socket', async () => {
    const { daemon, client } = await setup();
    const a = client.request({ type: 'ps' });
    await daemon.frames(1);
    client.close();
    expect((await rejectionOf(a)).code).toBe('CONNECTION_CLOSED');
    await client.closed;
    await daemon.waiter.until('server saw the close', () => daemon.closedConnections.length || undefined);
  });

  it('fails pending requests with BAD_FRAME when the daemon sends an invalid frame', async () => {
    const { daemon, client } = await setup();
    const a = client.request({ type: 'ps' });
    const [first] = await daemon.frames(1);
    first!.conn.socket.write(
      encodeMessage({ kind: 'response', id: first!.frame.id, ok: true, result: { services: 'all' } }),
    );
    const err = await rejectionOf(a);
    expect(err.code).toBe('BAD_FRAME');
    expect(err.message).toBe(
      'invalid daemon frame: result.services: expected an array, got the string "all"',
    );
    await client.closed;
  });

  it('fails pending requests with BAD_FRAME when the daemon breaks the framing', async () => {
    const { daemon, client } = await setup();
    const a = client.request({ type: 'ps' });
    const [first] = await daemon.frames(1);
    first!.conn.socket.write(Buffer.from([0, 0, 0, 0]));
    expect((await rejectionOf(a)).code).toBe('BAD_FRAME');
    await client.closed;
  });
});

describe('DaemonClient connection errors', () => {
  it('fails every pending request with the error the daemon gives for closing the connection', async () => {
    const { daemon, client } = await setup();
    const a = client.request({ type: 'ps' });
    const [first] = await daemon.frames(1);
    first!.conn.closeWithError(new ProtocolError('OVERLOADED', 'the daemon is full'));
    const err = await rejectionOf(a);
    expect(err).toBeInstanceOf(RemoteError);
    expect(err.code).toBe('OVERLOADED');
    expect(err.message).toBe('the daemon is full');
    await client.closed;
    expect((await rejectionOf(client.request({ type: 'status' }))).code).toBe('OVERLOADED');
  });

  it('rejects connect with the connection error sent instead of the hello answer', async () => {
    const daemon = await FakeDaemon.start({
      hello: (conn) => conn.closeWithError(new ProtocolError('OVERLOADED', 'too many connections')),
    });
    cleanups.push(() => daemon.stop());
    const err = await rejectionOf(DaemonClient.connect(daemon.path));
    expect(err).toBeInstanceOf(RemoteError);
    expect(err.code).toBe('OVERLOADED');
    expect(err.message).toBe('too many connections');
  });
});
