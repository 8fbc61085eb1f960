import net from 'node:net';
import { decodeMessage, encodeMessage } from './codec.js';
import { DaemonClient } from './DaemonClient.js';
import type { ProtocolError } from './errors.js';
import { encodeFrame, FrameDecoder, MAX_FRAME_BYTES } from './framing.js';
import { FakeDaemon, Waiter } from './testkit/fakeDaemon.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startDaemon(opts?: Parameters<typeof FakeDaemon.start>[0]): Promise<FakeDaemon> {
  const daemon = await FakeDaemon.start(opts);
  cleanups.push(() => daemon.stop());
  return daemon;
}

/** A client that speaks raw bytes, to send what DaemonClient never would. */
async function rawClient(path: string) {
  const socket = net.createConnection(path);
  cleanups.push(() => void socket.destroy());
  const decoder = new FrameDecoder();
  const frames: unknown[] = [];
  const waiter = new Waiter();
  let closed = false;
  socket.on('data', (chunk) => {
    for (const p of decoder.push(chunk)) frames.push(decodeMessage(p));
    waiter.notify();
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    closed = true;
    waiter.notify();
  });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return {
    socket,
    frames,
    waitForFrames: (n: number) =>
      waiter.until(`${n} frames`, () => (frames.length >= n ? frames : undefined)),
    waitForClose: () => waiter.until('close', () => (closed ? true : undefined)),
  };
}

/** A well-behaved client on the same daemon is still served. */
async function expectStillServing(daemon: FakeDaemon): Promise<void> {
  const client = await DaemonClient.connect(daemon.path);
  cleanups.push(() => client.close());
  const before = daemon.received.length;
  const ps = client.request({ type: 'ps' });
  const received = await daemon.waiter.until('ps', () => daemon.received[before]);
  received.conn.send({ kind: 'response', id: received.frame.id, ok: true, result: { services: [] } });
  expect(await ps).toEqual({ services: [] });
}

describe('FrameConnection', () => {
  it('answers an invalid request that has an id with BAD_REQUEST and keeps the connection', async () => {
    const daemon = await startDaemon();
    const raw = await rawClient(daemon.path);
    raw.socket.write(encodeMessage({ kind: 'request', id: 5, request: { type: 'ps', all: 'yes' } }));
    const [answer] = await raw.waitForFrames(1);
    expect(answer).toEqual({
      kind: 'response',
      id: 5,
      ok: false,
      error: {
        code: 'BAD_REQUEST',
        message: 'bad request: request.all: expected true or false, got the string "yes"',
      },
    });
    raw.socket.write(encodeMessage({ kind: 'request', id: 6, request: { type: 'ps' } }));
    const got = await daemon.frames(1);
    expect(got[0]!.frame).toEqual({ kind: 'request', id: 6, request: { type: 'ps' } });
    expect(daemon.protocolErrors).toEqual([]);
  });

  it('lets the owner answer invalid requests itself', async () => {
    const calls: [number, string][] = [];
    const daemon = await startDaemon({
      handlers: {
        onInvalidRequest: (id: number, err: ProtocolError) => {
          calls.push([id, err.code]);
          waiter.notify();
        },
      },
    });
    const waiter = new Waiter();
    const raw = await rawClient(daemon.path);
    raw.socket.write(encodeMessage({ kind: 'request', id: 8, request: { type: 'launch' } }));
    await waiter.until('onInvalidRequest', () => (calls.length ? calls : undefined));
    expect(calls).toEqual([[8, 'BAD_REQUEST']]);
    // The connection is still open and the default answer was not sent.
    raw.socket.write(encodeMessage({ kind: 'request', id: 9, request: { type: 'status' } }));
    await daemon.frames(1);
    expect(raw.frames).toEqual([]);
  });

  const garbage: [string, Buffer, string][] = [
    ['non-msgpack bytes', encodeFrame(Buffer.from([0xc1, 0xc1, 0xc1])), 'BAD_FRAME'],
    ['a truncated msgpack value', encodeFrame(Buffer.from([0x93, 0x01])), 'BAD_FRAME'],
    ['a zero-length frame', Buffer.from([0, 0, 0, 0]), 'BAD_FRAME'],
    [
      'an oversized length',
      Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff]), Buffer.alloc(100)]),
      'FRAME_TOO_LARGE',
    ],
    ['a frame without an id', encodeMessage({ kind: 'request', request: { type: 'ps' } }), 'BAD_REQUEST'],
    ['a cancel with a bad id', encodeMessage({ kind: 'cancel', id: 'x' }), 'BAD_REQUEST'],
    ['a bare number', encodeMessage(42), 'BAD_REQUEST'],
    ['random bytes', Buffer.from('GET / HTTP/1.1\r\nHost: kepler\r\n\r\n'), 'FRAME_TOO_LARGE'],
  ];

  it.each(garbage)('closes only the connection that sent %s', async (_name, bytes, code) => {
    const daemon = await startDaemon();
    const bystander = await DaemonClient.connect(daemon.path);
    cleanups.push(() => bystander.close());
    const raw = await rawClient(daemon.path);
    raw.socket.write(bytes);
    await raw.waitForClose();
    expect(daemon.protocolErrors.map((e) => e.code)).toEqual([code]);
    expect(raw.frames).toEqual([]);
    expect(bystander.isClosed).toBe(false);
    await expectStillServing(daemon);
  });

  it('rejects a huge declared length at once, without waiting for the payload', async () => {
    const daemon = await startDaemon();
    const raw = await rawClient(daemon.path);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(MAX_FRAME_BYTES + 1, 0);
    raw.socket.write(header); // the payload never comes; the connection must close anyway
    await raw.waitForClose();
    expect(daemon.protocolErrors.map((e) => e.code)).toEqual(['FRAME_TOO_LARGE']);
  });

  it('answers INTERNAL when the owner throws on a request', async () => {
    const daemon = await startDaemon({
      handlers: {
        onFrame: () => {
          throw new Error('handler bug\nwith a second line');
        },
      },
    });
    const raw = await rawClient(daemon.path);
    raw.socket.write(encodeMessage({ kind: 'request', id: 3, request: { type: 'status' } }));
    const [answer] = await raw.waitForFrames(1);
    expect(answer).toEqual({
      kind: 'response',
      id: 3,
      ok: false,
      error: { code: 'INTERNAL', message: 'handler bug' },
    });
  });

  it('exposes backpressure and stops reading while a slow client drains', async () => {
    const daemon = await startDaemon();
    const raw = await rawClient(daemon.path);
    raw.socket.pause(); // a client that does not read
    raw.socket.write(encodeMessage({ kind: 'request', id: 1, request: { type: 'ps' } }));
    const [received] = await daemon.frames(1);
    const conn = received!.conn;
    const line = new Uint8Array(64 * 1024).fill(0x61);
    let sent = 0;
    while (
      conn.send({
        kind: 'event',
        id: 1,
        event: { type: 'logLines', lines: [{ ts: 1, service: 's', hook: null, stream: 'stdout', line }] },
      })
    ) {
      sent++;
      if (sent > 2_000) throw new Error('the socket never reported backpressure');
    }
    expect(conn.writableNeedDrain).toBe(true);
    expect(conn.writableLength).toBeGreaterThan(0);
    expect(conn.socket.isPaused()).toBe(true);
    let drained = false;
    const drain = conn.waitForDrain().then(() => {
      drained = true;
    });
    expect(drained).toBe(false);
    raw.socket.resume();
    await drain;
    expect(conn.writableNeedDrain).toBe(false);
    expect(conn.socket.isPaused()).toBe(false);
    await raw.waitForFrames(sent + 1);
  });

  it('survives a client that disconnects mid-stream with writes pending', async () => {
    const closeErrors: (Error | undefined)[] = [];
    const daemon = await startDaemon({ handlers: { onClose: (err) => void closeErrors.push(err) } });
    const raw = await rawClient(daemon.path);
    raw.socket.pause();
    raw.socket.write(encodeMessage({ kind: 'request', id: 1, request: { type: 'ps' } }));
    const [received] = await daemon.frames(1);
    const conn = received!.conn;
    const line = new Uint8Array(64 * 1024);
    const event = {
      type: 'logLines',
      lines: [{ ts: 1, service: 's', hook: null, stream: 'stdout', line }],
    } as const;
    for (let i = 0; i < 2_000 && conn.send({ kind: 'event', id: 1, event }); i++);
    expect(conn.writableNeedDrain).toBe(true);
    raw.socket.destroy();
    await conn.closed;
    expect(conn.isClosed).toBe(true);
    expect(conn.send({ kind: 'event', id: 1, event: { type: 'quiescent' } })).toBe(false);
    await conn.waitForDrain(); // resolves at once on a closed connection
    expect(closeErrors).toHaveLength(1);
    await expectStillServing(daemon);
  });
});
