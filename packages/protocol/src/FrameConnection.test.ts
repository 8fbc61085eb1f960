import net from 'node:net';
import { ByteBudget } from './ByteBudget.js';
import { decodeMessage, encodeMessage } from './codec.js';
import { DaemonClient } from './DaemonClient.js';
import type { ProtocolError } from './errors.js';
import { encodeFrame, FrameDecoder, MAX_FRAME_BYTES } from './framing.js';
import { CONNECTION_ERROR_ID } from './messages.js';
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

describe('FrameConnection limits on incomplete frames', () => {
  /** Polls `check` every 10 ms until it holds (what it watches sends no notification). */
  async function poll(what: string, check: () => boolean, timeoutMs = 4_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** A header announcing `length` bytes and the first `sent` of them. */
  function partialFrame(length: number, sent: number): Buffer {
    const header = Buffer.alloc(4);
    header.writeUInt32BE(length, 0);
    return Buffer.concat([header, Buffer.alloc(sent, 0x61)]);
  }

  it('closes a connection whose frame would pass the shared budget, telling it why, and no other', async () => {
    const budget = new ByteBudget(1024 * 1024);
    const daemon = await startDaemon({ options: { budget } });
    const holder = await rawClient(daemon.path);
    holder.socket.write(partialFrame(4 * 1024 * 1024, 700 * 1024));
    await poll('the holder to draw for all it sent', () => budget.usedBytes >= 700 * 1024);
    const late = await rawClient(daemon.path);
    late.socket.write(partialFrame(4 * 1024 * 1024, 700 * 1024));
    const [error] = await late.waitForFrames(1);
    expect(error).toEqual({
      kind: 'response',
      id: CONNECTION_ERROR_ID,
      ok: false,
      error: { code: 'OVERLOADED', message: expect.stringContaining('1048576-byte limit') },
    });
    await late.waitForClose();
    expect(daemon.protocolErrors.map((e) => e.code)).toEqual(['OVERLOADED']);
    // Small requests still pass (a whole frame in one read draws nothing), the holder stays open.
    await expectStillServing(daemon);
    expect(daemon.connections[0]!.isClosed).toBe(false);
    // Its bytes go back to the budget when it closes.
    holder.socket.destroy();
    await poll('the budget to be given back', () => budget.usedBytes === 0);
  });

  it('closes a connection whose frame stalls, with TIMEOUT, and gives its bytes back', async () => {
    const budget = new ByteBudget(64 * 1024 * 1024);
    const daemon = await startDaemon({ options: { budget, stallTimeoutMs: 200 } });
    const raw = await rawClient(daemon.path);
    const started = Date.now();
    raw.socket.write(partialFrame(1024 * 1024, 100_000));
    const [error] = await raw.waitForFrames(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(error).toMatchObject({
      id: CONNECTION_ERROR_ID,
      ok: false,
      error: { code: 'TIMEOUT', message: expect.stringContaining('200 ms') },
    });
    await raw.waitForClose();
    expect(budget.usedBytes).toBe(0);
  });

  it('does not time out a frame whose bytes keep coming, nor a connection idle between frames', async () => {
    const daemon = await startDaemon({ options: { stallTimeoutMs: 300 } });
    const raw = await rawClient(daemon.path);
    const frame = encodeMessage({ kind: 'request', id: 1, request: { type: 'status' } });
    // The first 7 bytes one every 100 ms: slower in total than the timeout, never stalled for it.
    for (let i = 0; i < 7; i++) {
      raw.socket.write(frame.subarray(i, i + 1));
      await new Promise((r) => setTimeout(r, 100));
    }
    raw.socket.write(frame.subarray(7));
    await daemon.frames(1);
    await new Promise((r) => setTimeout(r, 500)); // idle between frames: no timeout applies
    raw.socket.write(encodeMessage({ kind: 'request', id: 2, request: { type: 'status' } }));
    await daemon.frames(2);
    expect(raw.frames).toEqual([]);
    expect(daemon.protocolErrors).toEqual([]);
  });
});
