// Issue 9, defect 9: clients that hold unfinished frames must not grow the daemon's memory without
// bound. Forty raw connections each announce a 16 MiB frame, send half of it and go quiet. Before
// the fix the daemon buffered all of it (RSS 56 -> 715 MB) and kept it after they closed.
import { createConnection, type Socket } from 'node:net';
import { frame, frameHeader, PROTOCOL_VERSION, unpack } from '../rawFrames.js';
import { rssKb, TestDaemon, waitFor } from '../testkit.js';

/** Generous: two cores shared with other suites. */
const T = 90_000;
/** The daemon's stall timeout for this test (KEPLER_FRAME_STALL_MS), short so the test is fast. */
const STALL_MS = 1500;
const CONNECTIONS = 40;
/** Each connection announces a frame of (almost) the 16 MiB limit and sends this much of it. */
const ANNOUNCED_BYTES = 16 * 1024 * 1024 - 16;
const SENT_BYTES = 8 * 1024 * 1024;
/** The daemon's MAX_CLIENT_CONNECTIONS. */
const MAX_CLIENT_CONNECTIONS = 4096;
/** RSS growth allowed while the connections hold their frames: 40 x 8 MiB unbounded is ~320 MB. */
const MAX_GROWTH_DURING_KB = 160 * 1024;
/**
 * RSS growth allowed once they are all gone. Not back to the last byte: the memory is freed (the
 * daemon's ArrayBuffers go to 0 after its GC), but glibc keeps part of the malloc heap it grew
 * resident (seen: 20-64 MB left of a 75-100 MB peak). The unbounded daemon kept ~+320 MB here.
 */
const MAX_GROWTH_AFTER_KB = 96 * 1024;

interface Reply {
  kind: string;
  id: number;
  ok?: boolean;
  error?: { code: string; message: string };
}

/** A raw connection that records every frame the daemon sends and whether it closed. */
class Holder {
  readonly replies: Reply[] = [];
  isClosed = false;
  private buffer = Buffer.alloc(0);

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      while (this.buffer.length >= 4 && this.buffer.length >= 4 + this.buffer.readUInt32BE(0)) {
        const len = this.buffer.readUInt32BE(0);
        this.replies.push(unpack(this.buffer.subarray(4, 4 + len)) as Reply);
        this.buffer = this.buffer.subarray(4 + len);
      }
    });
    socket.on('error', () => undefined);
    socket.once('close', () => {
      this.isClosed = true;
    });
  }

  static connect(path: string): Promise<Holder> {
    return new Promise((resolve, reject) => {
      const s = createConnection(path);
      s.once('connect', () => resolve(new Holder(s)));
      s.once('error', reject);
    });
  }

  /** The daemon's connection error (a response with id 0), if it sent one. */
  get connectionError(): string | undefined {
    return this.replies.find((r) => r.id === 0 && r.ok === false)?.error?.code;
  }
}

/** A daemon whose stall timeout is short enough for a test. */
class ShortStallDaemon extends TestDaemon {
  override get env(): NodeJS.ProcessEnv {
    return { ...super.env, KEPLER_FRAME_STALL_MS: String(STALL_MS) };
  }
}

const d = new ShortStallDaemon('kepler-e2e-clientmem');
let config: string;
beforeAll(async () => {
  await d.start();
  config = d.writeConfig('services:\n  idle:\n    command: ["sleep", "3600"]\n');
  expect((await d.cli(['start', '-d'])).code).toBe(0);
  await d.waitStatus(config, 'idle', 'running');
}, T);
afterAll(() => d.cleanup(), T);

test(
  'connections holding unfinished 16 MiB frames: memory bounded, others served, stalls closed, memory given back',
  async () => {
    // The baseline is the daemon at rest after start-up (a first request done).
    await d.cli(['ps', '--json']);
    const baselineKb = rssKb(d.pid);
    let peakKb = baselineKb;
    const sample = () => {
      peakKb = Math.max(peakKb, rssKb(d.pid));
    };

    const hello = frame({
      kind: 'request',
      id: 1,
      request: { type: 'hello', protocol: PROTOCOL_VERSION, client: 'e2e' },
    });
    const partial = Buffer.concat([frameHeader(ANNOUNCED_BYTES), Buffer.alloc(SENT_BYTES, 0x61)]);
    /** Opens `n` connections that each send a partial frame, and waits until the daemon took or refused each. */
    const attack = async (n: number): Promise<Holder[]> => {
      const hs = await Promise.all(Array.from({ length: n }, () => Holder.connect(d.socket)));
      hs.forEach((h, i) => {
        // Half say hello first; the other half never do (their partial frame stands for the hello).
        if (i % 2 === 0) h.socket.write(hello);
        h.socket.write(partial);
      });
      await waitFor(
        () => {
          sample();
          return hs.every((h) => h.isClosed || h.socket.writableLength === 0);
        },
        'the daemon to take or refuse every partial frame',
        { timeoutMs: 30_000, intervalMs: 20 },
      );
      return hs;
    };
    const holders = await attack(CONNECTIONS);
    sample();
    expect(peakKb - baselineKb).toBeLessThan(MAX_GROWTH_DURING_KB);

    // A normal client is answered while the others hold what they hold.
    const ps = await d.cli(['ps', '--json', '-f', config]);
    expect(ps.code).toBe(0);
    expect((JSON.parse(ps.stdout) as Array<{ name: string }>).map((s) => s.name)).toEqual(['idle']);

    // Those that would pass the shared budget were told so and closed.
    const refused = holders.filter((h) => h.connectionError === 'OVERLOADED');
    expect(refused.length).toBeGreaterThan(CONNECTIONS / 2);
    // The rest stalled: the daemon closes them after KEPLER_FRAME_STALL_MS, saying why. The test never
    // closes a connection itself.
    await waitFor(() => holders.every((h) => h.isClosed), 'the daemon to close every stalled connection', {
      timeoutMs: STALL_MS + 15_000,
    });
    // (TIMEOUT is also what a connection that never said hello gets after HELLO_TIMEOUT_MS.)
    const stalled = holders.filter((h) => h.connectionError === 'TIMEOUT');
    expect(stalled.length).toBeGreaterThan(0);
    expect(stalled.length + refused.length).toBe(CONNECTIONS);

    // What they held is given back: to the budget (three more such frames, 24 MiB, are all taken
    // now; they too stall and are closed) ...
    const again = await attack(3);
    expect(again.map((h) => h.connectionError)).toEqual([undefined, undefined, undefined]);
    await waitFor(() => again.every((h) => h.connectionError === 'TIMEOUT'), 'the second wave to stall out');
    // ... and to the system, not to the last byte (see MAX_GROWTH_AFTER_KB).
    let growthAfterKb = Number.POSITIVE_INFINITY;
    await waitFor(
      () => {
        growthAfterKb = rssKb(d.pid) - baselineKb;
        return growthAfterKb < MAX_GROWTH_AFTER_KB;
      },
      'RSS to come back near baseline',
      { timeoutMs: 15_000, intervalMs: 200 },
    ).catch(() => undefined); // the expect below says by how much
    expect(growthAfterKb).toBeLessThan(MAX_GROWTH_AFTER_KB);
    expect((await d.cli(['daemon', 'status'])).code).toBe(0);
    // Logged, throttled to a line a second: a flood of such clients must not flood the log.
    expect(d.log).toMatch(/closing a client connection: (no byte of an incomplete frame|incomplete frames)/);
    expect(d.log.split('\n').filter((l) => l.includes('closing a client connection')).length).toBeLessThan(
      CONNECTIONS / 2,
    );
  },
  T,
);

test(
  'the connection past the cap is told OVERLOADED and closed; once others go, clients are served again',
  async () => {
    const open: Holder[] = [];
    try {
      // In batches: the kernel's listen backlog turns too many simultaneous connects away.
      while (open.length < MAX_CLIENT_CONNECTIONS) {
        const n = Math.min(512, MAX_CLIENT_CONNECTIONS - open.length);
        const batch = await Promise.allSettled(Array.from({ length: n }, () => Holder.connect(d.socket)));
        for (const r of batch) if (r.status === 'fulfilled') open.push(r.value);
      }
      // The daemon accepts in order, so the next one is past the cap (none of these said hello: they
      // have HELLO_TIMEOUT_MS, 10 s, before the daemon drops them).
      const extra = await Holder.connect(d.socket);
      await waitFor(() => extra.isClosed, 'the daemon to close the connection past the cap');
      expect(extra.connectionError).toBe('OVERLOADED');
      // The real CLI says so in one line.
      const full = await d.cli(['daemon', 'status']);
      expect(full.code).not.toBe(0);
      expect(full.stderr).toMatch(/already has 4096 client connections open: try again/);
      expect(open.filter((h) => h.isClosed)).toEqual([]);
    } finally {
      for (const h of open) h.socket.destroy();
    }
    await waitFor(async () => (await d.cli(['daemon', 'status'])).code === 0, 'a client to be served again', {
      timeoutMs: 20_000,
    });
  },
  T,
);
