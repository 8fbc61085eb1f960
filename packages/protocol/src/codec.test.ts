import { types } from 'node:util';
import { decodeMessage, encodeMessage } from './codec.js';
import { FrameError } from './errors.js';
import { FrameDecoder, MAX_FRAME_BYTES } from './framing.js';
import { type ClientFrame, type DaemonFrame, ERROR_CODES, type RequestType } from './messages.js';
import { EVENT_SAMPLES, logLine, REQUEST_SAMPLES, RESULT_SAMPLES } from './testkit/samples.js';
import { isRequestType, parseClientFrame, parseDaemonFrame } from './validate/index.js';

/** encode -> frame bytes split in two chunks -> FrameDecoder -> decode: what the peer sees. */
function overTheWire(value: unknown): unknown {
  const bytes = encodeMessage(value);
  const cut = Math.floor(bytes.length / 2);
  const decoder = new FrameDecoder();
  const payloads = [...decoder.push(bytes.subarray(0, cut)), ...decoder.push(bytes.subarray(cut))];
  expect(payloads).toHaveLength(1);
  return decodeMessage(payloads[0]!);
}

/** Deep copy with binary as number arrays: decoded binary is a Buffer, samples hold Uint8Arrays. */
function bytesAsArrays(value: unknown): unknown {
  if (types.isUint8Array(value)) return [...value];
  if (Array.isArray(value)) return value.map(bytesAsArrays);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, bytesAsArrays(v)]));
  }
  return value;
}

const requestTypes = Object.keys(REQUEST_SAMPLES).filter(isRequestType);

describe('round trip encode -> decode -> validate', () => {
  let id = 0;

  describe.each(requestTypes)('request %s', (type) => {
    it.each(REQUEST_SAMPLES[type].map((r, i) => [i, r] as const))('variant %i', (_i, request) => {
      const frame: ClientFrame = { kind: 'request', id: ++id, request };
      expect(parseClientFrame(overTheWire(frame))).toStrictEqual(frame);
    });
  });

  it('cancel', () => {
    const frame: ClientFrame = { kind: 'cancel', id: 7 };
    expect(parseClientFrame(overTheWire(frame))).toStrictEqual(frame);
  });

  describe.each(requestTypes)('result of %s', (type: RequestType) => {
    it.each(RESULT_SAMPLES[type].map((r, i) => [i, r] as const))('variant %i', (_i, result) => {
      const frame: DaemonFrame = { kind: 'response', id: ++id, ok: true, result };
      const parsed = parseDaemonFrame(overTheWire(frame), (i) => (i === frame.id ? type : undefined));
      expect(bytesAsArrays(parsed)).toStrictEqual(bytesAsArrays(frame));
    });
  });

  describe.each(Object.keys(EVENT_SAMPLES) as (keyof typeof EVENT_SAMPLES)[])('event %s', (type) => {
    it.each(EVENT_SAMPLES[type].map((e, i) => [i, e] as const))('variant %i', (_i, event) => {
      const frame: DaemonFrame = { kind: 'event', id: ++id, event };
      expect(bytesAsArrays(parseDaemonFrame(overTheWire(frame), () => undefined))).toStrictEqual(
        bytesAsArrays(frame),
      );
    });
  });

  it.each(ERROR_CODES)('error response %s', (code) => {
    const plain: DaemonFrame = {
      kind: 'response',
      id: 1,
      ok: false,
      error: { code, message: `it failed: ${code}` },
    };
    expect(parseDaemonFrame(overTheWire(plain), () => undefined)).toStrictEqual(plain);
    const withData: DaemonFrame = {
      kind: 'response',
      id: 2,
      ok: false,
      error: { code, message: 'm', data: { issues: [{ path: 'services.web', message: 'bad', line: 3 }] } },
    };
    expect(parseDaemonFrame(overTheWire(withData), () => undefined)).toStrictEqual(withData);
  });
});

describe('codec', () => {
  it('keeps log line bytes exactly, as a Buffer independent of the frame', () => {
    const bytes = encodeMessage({ kind: 'event', id: 1, event: { type: 'logLines', lines: [logLine] } });
    const [payload] = new FrameDecoder().push(bytes);
    const value = parseDaemonFrame(decodeMessage(payload!), () => undefined);
    if (value.kind !== 'event' || value.event.type !== 'logLines') throw new Error('unexpected frame');
    const line = value.event.lines[0]!.line;
    expect(types.isUint8Array(line)).toBe(true);
    expect([...line]).toEqual([...logLine.line]);
    payload!.fill(0); // the decoded line must not be a view into the frame
    expect([...line]).toEqual([...logLine.line]);
  });

  it('leaves undefined properties out of the encoding', () => {
    const decoded = overTheWire({ type: 'ps', config: undefined, all: undefined });
    expect(decoded).toStrictEqual({ type: 'ps' });
  });

  it('encodes plain maps, not records, and decodes them to plain objects', () => {
    const a = overTheWire({ x: 1, y: 'two' });
    const b = overTheWire({ x: 3, y: 'four' });
    expect(a).toStrictEqual({ x: 1, y: 'two' });
    expect(b).toStrictEqual({ x: 3, y: 'four' });
    // fixmap of 2 entries: 0x82
    expect(encodeMessage({ x: 1, y: 2 })[4]).toBe(0x82);
  });

  it('decodes 64-bit integers as numbers', () => {
    const payload = Buffer.from([0xcf, 0, 0, 0, 1, 0, 0, 0, 0]);
    expect(decodeMessage(payload)).toBe(2 ** 32);
  });

  it('does not let a __proto__ key reach the prototype', () => {
    // {"__proto__": {"polluted": true}} as a msgpack map
    const key = Buffer.from('__proto__');
    const payload = Buffer.concat([
      Buffer.from([0x81, 0xa0 | key.length]),
      key,
      Buffer.from([0x81, 0xa8]),
      Buffer.from('polluted'),
      Buffer.from([0xc3]),
    ]);
    const value = decodeMessage(payload);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['truncated array', [0x92, 0x01]],
    ['truncated string', [0xa5, 0x61]],
    ['trailing bytes', [0x01, 0x02]],
    ['unknown extension', [0xd4, 0x10, 0x00]],
  ])('rejects %s as BAD_FRAME', (_name, bytes) => {
    let caught: unknown;
    try {
      decodeMessage(Buffer.from(bytes));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(FrameError);
    expect((caught as FrameError).code).toBe('BAD_FRAME');
  });

  it('refuses to encode a message above MAX_FRAME_BYTES', () => {
    let caught: unknown;
    try {
      encodeMessage({ blob: Buffer.alloc(MAX_FRAME_BYTES + 1) });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(FrameError);
    expect((caught as FrameError).code).toBe('FRAME_TOO_LARGE');
  });
});
