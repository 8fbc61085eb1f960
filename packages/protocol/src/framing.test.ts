import { ByteBudget } from './ByteBudget.js';
import { FrameError, ProtocolError } from './errors.js';
import {
  ASSEMBLY_MAX_BLOCK_BYTES,
  ASSEMBLY_MIN_BYTES,
  encodeFrame,
  FrameDecoder,
  MAX_FRAME_BYTES,
} from './framing.js';

const payloads = [
  Buffer.from('a'),
  Buffer.from('hello world'),
  Buffer.alloc(300, 7),
  Buffer.from([0, 1, 2, 255]),
];
const stream = Buffer.concat(payloads.map((p) => encodeFrame(p)));

function header(length: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(length, 0);
  return b;
}

function expectFrameError(fn: () => unknown, code: 'FRAME_TOO_LARGE' | 'BAD_FRAME'): FrameError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(FrameError);
    expect((error as FrameError).code).toBe(code);
    return error as FrameError;
  }
  throw new Error('expected a FrameError');
}

describe('encodeFrame', () => {
  it('prefixes a 4-byte big-endian length', () => {
    const frame = encodeFrame(Buffer.from('abc'));
    expect([...frame]).toEqual([0, 0, 0, 3, 0x61, 0x62, 0x63]);
  });

  it('refuses empty and oversized payloads', () => {
    expectFrameError(() => encodeFrame(new Uint8Array(0)), 'BAD_FRAME');
    expectFrameError(() => encodeFrame(new Uint8Array(11), 10), 'FRAME_TOO_LARGE');
  });
});

describe('FrameDecoder', () => {
  it('decodes many frames from one chunk', () => {
    const out = new FrameDecoder().push(stream);
    expect(out).toEqual(payloads);
  });

  it('decodes the same frames however the stream is split in two', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new FrameDecoder();
      const out = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
      expect(out.map((b) => b.toString('hex'))).toEqual(payloads.map((b) => b.toString('hex')));
      expect(d.bufferedBytes).toBe(0);
    }
  });

  it('decodes a stream fed one byte at a time', () => {
    const d = new FrameDecoder();
    const out: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) out.push(...d.push(stream.subarray(i, i + 1)));
    expect(out).toEqual(payloads);
  });

  it('accepts Uint8Array chunks', () => {
    const d = new FrameDecoder();
    const u8 = new Uint8Array(stream.buffer.slice(stream.byteOffset, stream.byteOffset + stream.length));
    expect(d.push(u8)).toEqual(payloads);
  });

  it('handles a large number of small frames linearly', () => {
    const n = 100_000;
    const one = encodeFrame(Buffer.from('x'));
    const big = Buffer.concat(Array.from({ length: n }, () => one));
    const d = new FrameDecoder();
    let count = 0;
    // 7-byte chunks: every frame (5 bytes) straddles chunk boundaries regularly.
    for (let i = 0; i < big.length; i += 7) count += d.push(big.subarray(i, i + 7)).length;
    expect(count).toBe(n);
  });

  it('assembles one large frame from many small chunks without re-copying the backlog', () => {
    const payload = Buffer.alloc(4 * 1024 * 1024, 3);
    const frame = encodeFrame(payload);
    const d = new FrameDecoder();
    const out: Buffer[] = [];
    // 64 Ki chunks: a decoder that concatenated its backlog per chunk would copy ~128 GiB here.
    for (let i = 0; i < frame.length; i += 64) out.push(...d.push(frame.subarray(i, i + 64)));
    expect(out).toHaveLength(1);
    expect(out[0]!.equals(payload)).toBe(true);
  });

  it('rejects an oversized length as soon as the header arrives, before any payload', () => {
    const d = new FrameDecoder({ maxFrameBytes: 1024 });
    expect(d.push(header(1025).subarray(0, 3))).toEqual([]);
    const err = expectFrameError(() => d.push(header(1025).subarray(3)), 'FRAME_TOO_LARGE');
    expect(err.message).toContain('1025');
    expect(d.bufferedBytes).toBe(0);
    // The decoder stays failed: the stream cannot be resynchronised.
    expectFrameError(() => d.push(encodeFrame(Buffer.from('ok'))), 'FRAME_TOO_LARGE');
  });

  it('rejects the default maximum plus one without buffering the payload', () => {
    const d = new FrameDecoder();
    expect(d.push(encodeFrame(Buffer.from('first')))).toHaveLength(1);
    expectFrameError(
      () => d.push(Buffer.concat([header(MAX_FRAME_BYTES + 1), Buffer.alloc(64)])),
      'FRAME_TOO_LARGE',
    );
    expect(d.bufferedBytes).toBe(0);
  });

  it('accepts a frame of exactly the maximum size', () => {
    const d = new FrameDecoder({ maxFrameBytes: 16 });
    expect(d.push(encodeFrame(Buffer.alloc(16, 1), 16))).toEqual([Buffer.alloc(16, 1)]);
  });

  it('rejects a zero-length frame', () => {
    const d = new FrameDecoder();
    expect(d.push(encodeFrame(Buffer.from('a')))).toHaveLength(1);
    expectFrameError(() => d.push(header(0)), 'BAD_FRAME');
  });

  it('keeps an incomplete frame buffered until the rest arrives', () => {
    const d = new FrameDecoder();
    const frame = encodeFrame(Buffer.from('abcdef'));
    expect(d.push(frame.subarray(0, 6))).toEqual([]);
    expect(d.bufferedBytes).toBe(2);
    expect(d.push(frame.subarray(6))).toEqual([Buffer.from('abcdef')]);
  });
});

describe('FrameDecoder memory', () => {
  it('holds memory that follows the bytes received, not the length a header announces', () => {
    const d = new FrameDecoder();
    d.push(Buffer.concat([header(MAX_FRAME_BYTES), Buffer.alloc(10)]));
    expect(d.bufferedBytes).toBe(10);
    expect(d.heldBytes).toBe(ASSEMBLY_MIN_BYTES);
    d.push(Buffer.alloc(3 * 1024 * 1024));
    expect(d.bufferedBytes).toBe(3 * 1024 * 1024 + 10);
    // At most one block beyond what arrived.
    expect(d.heldBytes - d.bufferedBytes).toBeLessThanOrEqual(ASSEMBLY_MAX_BLOCK_BYTES);
  });

  it('keeps no reference to a pushed chunk once it returns', () => {
    const d = new FrameDecoder();
    const frame = encodeFrame(Buffer.from('abcdefgh'));
    const chunk = Buffer.from(frame.subarray(0, 7));
    d.push(chunk);
    chunk.fill(0); // a decoder that kept a view would now return zeros
    expect(d.push(frame.subarray(7))).toEqual([Buffer.from('abcdefgh')]);
  });

  it('draws an incomplete frame from the budget and gives it back when the frame completes', () => {
    const budget = new ByteBudget(1024 * 1024);
    const d = new FrameDecoder({ budget });
    const payload = Buffer.alloc(200_000, 9);
    const frame = encodeFrame(payload);
    expect(d.push(frame.subarray(0, 100_000))).toEqual([]);
    expect(budget.usedBytes).toBe(d.heldBytes);
    expect(budget.usedBytes).toBeGreaterThan(0);
    const out = d.push(frame.subarray(100_000));
    expect(out).toHaveLength(1);
    expect(out[0]!.equals(payload)).toBe(true);
    expect(budget.usedBytes).toBe(0);
    // A frame within one chunk never draws.
    expect(d.push(frame)).toHaveLength(1);
    expect(budget.usedBytes).toBe(0);
  });

  it('fails OVERLOADED, before allocating, when the budget is spent, and gives back what it held', () => {
    const budget = new ByteBudget(ASSEMBLY_MIN_BYTES * 3);
    const a = new FrameDecoder({ budget });
    const b = new FrameDecoder({ budget });
    a.push(Buffer.concat([header(1024 * 1024), Buffer.alloc(ASSEMBLY_MIN_BYTES + 1)]));
    expect(budget.usedBytes).toBe(ASSEMBLY_MIN_BYTES * 3);
    let error: unknown;
    try {
      b.push(Buffer.concat([header(1000), Buffer.alloc(10)]));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).code).toBe('OVERLOADED');
    expect(b.heldBytes).toBe(0);
    expect(() => b.push(Buffer.alloc(1))).toThrow(/limit shared by all connections/);
    a.release();
    expect(budget.usedBytes).toBe(0);
    expect(a.heldBytes).toBe(0);
  });

  it('says whether it is in the middle of a frame', () => {
    const d = new FrameDecoder();
    const frame = encodeFrame(Buffer.from('abc'));
    expect(d.midFrame).toBe(false);
    d.push(frame.subarray(0, 2));
    expect(d.midFrame).toBe(true);
    d.push(frame.subarray(2, 5));
    expect(d.midFrame).toBe(true);
    d.push(frame.subarray(5));
    expect(d.midFrame).toBe(false);
  });
});
