// Issue 3: the daemon never dies of a client's doing. Raw clients throw bad bytes at a LIVE daemon
// socket; afterwards other clients are still served and the daemon's memory did not balloon.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createConnection, type Socket } from 'node:net';
import { frame, PROTOCOL_VERSION, rawFrame, unpack } from '../rawFrames.js';
import { CLI, rssKb, TestDaemon, waitFor } from '../testkit.js';

/** Generous: two cores shared with other suites. */
const T = 60_000;
/** The daemon's frame limit (16 MiB): a header above it must be refused before buffering. */
const MAX_FRAME_BYTES = 16 * 1024 * 1024;
/** How much the daemon's RSS may grow over the whole abuse run. */
const MAX_RSS_GROWTH_KB = 50 * 1024;

interface Reply {
  kind: string;
  id: number;
  ok?: boolean;
  result?: Record<string, unknown>;
  error?: { code: string; message: string };
  event?: Record<string, unknown>;
}

/** A raw connection: every decoded daemon frame lands in `replies`; `closed` resolves on close. */
class RawClient {
  readonly replies: Reply[] = [];
  readonly closed: Promise<void>;
  isClosed = false;
  private buffer = Buffer.alloc(0);

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      while (this.buffer.length >= 4) {
        const len = this.buffer.readUInt32BE(0);
        if (this.buffer.length < 4 + len) break;
        this.replies.push(unpack(this.buffer.subarray(4, 4 + len)) as Reply);
        this.buffer = this.buffer.subarray(4 + len);
      }
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        resolve();
      }),
    );
  }

  static connect(path: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = createConnection(path);
      s.once('connect', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  request(id: number, request: Record<string, unknown>): void {
    this.send(frame({ kind: 'request', id, request }));
  }

  hello(protocol = PROTOCOL_VERSION): void {
    this.request(1, { type: 'hello', protocol, client: 'e2e-raw' });
  }

  reply(id: number, timeoutMs = 15_000): Promise<Reply> {
    return waitFor(
      () => this.replies.find((r) => r.id === id && r.kind === 'response'),
      `a response to ${id}`,
      {
        timeoutMs,
        intervalMs: 20,
      },
    );
  }

  async waitClosed(what: string, timeoutMs = 15_000): Promise<void> {
    await waitFor(() => this.isClosed, what, { timeoutMs, intervalMs: 20 });
  }

  destroy(): void {
    this.socket.destroy();
  }
}

const d = new TestDaemon('kepler-e2e-proto');
let rssBeforeKb = 0;
let config: string;
beforeAll(async () => {
  await d.start();
  config = d.writeConfig(
    'services:\n  ticker:\n    command: ["sh", "-c", "while :; do echo tick; sleep 0.05; done"]\n',
  );
  expect((await d.cli(['start', '-d'])).code).toBe(0);
  await waitFor(async () => (await d.service(config, 'ticker')).status === 'running', 'ticker to run');
  rssBeforeKb = rssKb(d.pid);
}, T);
afterAll(() => d.cleanup(), T);

/** A well-behaved client is still served: a raw status round trip and the real CLI's ps. */
async function expectServed(): Promise<void> {
  const c = await RawClient.connect(d.socket);
  c.hello();
  expect((await c.reply(1)).ok).toBe(true);
  c.request(2, { type: 'status' });
  const status = await c.reply(2);
  expect(status.ok).toBe(true);
  expect(status.result?.pid).toBe(d.pid);
  c.destroy();
  const ps = await d.cli(['ps', '--json']);
  expect(ps.code).toBe(0);
  expect((JSON.parse(ps.stdout) as Array<{ name: string }>)[0]?.name).toBe('ticker');
}

describe('hello', () => {
  test(
    'a client of another protocol version gets one clear line, then the connection closes',
    async () => {
      const c = await RawClient.connect(d.socket);
      c.hello(999);
      const r = await c.reply(1);
      expect(r.ok).toBe(false);
      expect(r.error?.code).toBe('PROTOCOL_MISMATCH');
      expect(r.error?.message).toMatch(
        /^the daemon runs protocol \d+, this CLI speaks 999: restart the daemon$/,
      );
      await c.waitClosed('the daemon to close a mismatched connection');
    },
    T,
  );

  test(
    'a first request that is not hello is refused by closing the connection',
    async () => {
      const c = await RawClient.connect(d.socket);
      c.request(1, { type: 'status' });
      await c.waitClosed('the daemon to close a connection without hello');
      expect(c.replies.filter((r) => r.ok === true)).toEqual([]);
    },
    T,
  );
});

describe('bad bytes on a live socket', () => {
  test(
    'random bytes',
    async () => {
      for (let i = 0; i < 20; i++) {
        const c = await RawClient.connect(d.socket);
        c.send(randomBytes(1 + Math.floor(Math.random() * 64 * 1024)));
        c.socket.end();
        await c.closed;
      }
      // Random bytes after a proper hello: the framing breaks, the connection is dropped.
      const c = await RawClient.connect(d.socket);
      c.hello();
      await c.reply(1);
      c.send(Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff]), randomBytes(4096)]));
      await c.waitClosed('the daemon to drop a connection sending garbage');
      await expectServed();
    },
    T,
  );

  test(
    'a truncated frame, then a hang-up',
    async () => {
      for (const sent of [1, 3, 4, 10]) {
        const c = await RawClient.connect(d.socket);
        const whole = frame({
          kind: 'request',
          id: 1,
          request: { type: 'hello', protocol: PROTOCOL_VERSION, client: 'x' },
        });
        c.send(whole.subarray(0, sent));
        c.socket.end();
        await c.closed;
      }
      await expectServed();
    },
    T,
  );

  test(
    'an oversized length header is refused without buffering its payload',
    async () => {
      for (const declared of [MAX_FRAME_BYTES + 1, 0xffffffff]) {
        const c = await RawClient.connect(d.socket);
        c.hello();
        await c.reply(1);
        const header = Buffer.alloc(4);
        header.writeUInt32BE(declared, 0);
        c.send(header);
        // The daemon must close on the header alone: it cannot be waiting for the declared payload.
        await c.waitClosed(`the daemon to refuse a ${declared}-byte frame`);
      }
      await expectServed();
    },
    T,
  );

  test(
    'a payload that is not msgpack',
    async () => {
      const c = await RawClient.connect(d.socket);
      c.hello();
      await c.reply(1);
      c.send(rawFrame(Buffer.from([0xc1, 0xc1, 0xc1]))); // 0xc1 is never valid msgpack
      await c.waitClosed('the daemon to drop an undecodable frame');
      const c2 = await RawClient.connect(d.socket);
      c2.hello();
      await c2.reply(1);
      c2.send(rawFrame(Buffer.from('{"kind":"request"}'))); // JSON is not msgpack either
      await c2.waitClosed('the daemon to drop a JSON frame');
      await expectServed();
    },
    T,
  );

  test(
    'valid msgpack but invalid requests: answered with an error, the connection stays usable',
    async () => {
      const c = await RawClient.connect(d.socket);
      c.hello();
      expect((await c.reply(1)).ok).toBe(true);
      c.request(2, { type: 'no-such-request' });
      c.request(3, { type: 'ps', config: { path: 42, env: 'x' } });
      c.request(4, { type: 'logs' });
      for (const id of [2, 3, 4]) {
        const r = await c.reply(id);
        expect(r.ok).toBe(false);
        expect(r.error?.code).toBe('BAD_REQUEST');
        expect(typeof r.error?.message).toBe('string');
      }
      c.request(5, { type: 'status' });
      expect((await c.reply(5)).ok).toBe(true);
      expect(c.isClosed).toBe(false);
      // Values that are msgpack but not a frame at all.
      for (const value of [null, 42, 'hello', [1, 2, 3], { kind: 'nonsense' }]) {
        const x = await RawClient.connect(d.socket);
        x.hello();
        await x.reply(1);
        x.send(frame(value));
        await x.waitClosed(`the daemon to drop a frame of ${JSON.stringify(value)}`);
      }
      c.destroy();
      await expectServed();
    },
    T,
  );
});

describe('clients that go away mid-stream', () => {
  test(
    'raw log follows disconnected without reading or cancelling',
    async () => {
      for (let i = 0; i < 20; i++) {
        const c = await RawClient.connect(d.socket);
        c.hello();
        await c.reply(1);
        c.request(2, { type: 'logs', config: { path: config, env: {} }, services: [], follow: true });
        await waitFor(() => c.replies.some((r) => r.id === 2 && r.kind === 'event'), 'a log event');
        c.destroy();
      }
      await expectServed();
    },
    T,
  );

  test(
    '`kepler logs --follow` killed while streaming',
    async () => {
      for (let i = 0; i < 5; i++) {
        const child = spawn(process.execPath, [CLI, 'logs', '--follow'], {
          cwd: d.workDir,
          env: { ...process.env, ...d.env, NO_COLOR: '1' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        child.stdout.on('data', (c) => {
          out += c;
        });
        const gone = new Promise((r) => child.once('exit', r));
        await waitFor(() => out.includes('tick'), 'the follow to stream ticks', { timeoutMs: 20_000 });
        child.kill('SIGKILL');
        await gone;
      }
      await expectServed();
      expect(d.log).not.toMatch(/internal error/);
    },
    T,
  );
});

describe('a thousand connections at once', () => {
  test(
    'all are handled, others are still served, memory does not balloon',
    async () => {
      const N = 1000;
      const greeted: RawClient[] = [];
      const connect = (i: number) =>
        RawClient.connect(d.socket).then((c) => {
          // Half greet and ask for status, half just sit there.
          if (i % 2 === 0) {
            c.hello();
            c.request(2, { type: 'status' });
            greeted.push(c);
          }
          return c;
        });
      const settled = await Promise.allSettled(Array.from({ length: N }, (_, i) => connect(i)));
      const clients = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
      // The kernel's listen backlog may turn some connects away (EAGAIN); the daemon must take the rest.
      expect(clients.length).toBeGreaterThan(N / 2);
      // While they are all open, a normal client is served.
      await expectServed();
      await waitFor(
        () => greeted.every((c) => c.isClosed || c.replies.some((r) => r.id === 2 && r.ok === true)),
        'every greeting client to get its status',
        { timeoutMs: 40_000 },
      );
      for (const c of clients) c.destroy();
      await expectServed();
      const growthKb = rssKb(d.pid) - rssBeforeKb;
      expect(growthKb).toBeLessThan(MAX_RSS_GROWTH_KB);
    },
    2 * T,
  );
});
