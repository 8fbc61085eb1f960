// 'msgpackr/pack' resolves to msgpackr's portable build: the native unpack accelerator (msgpackr-extract)
// costs ~5 MB of resident memory in every daemon and CLI for no gain on frames this small.
import { Packr, RESERVE_START_SPACE, Unpackr } from 'msgpackr/pack';
import { FrameError } from './errors.js';
import { FRAME_HEADER_BYTES, MAX_FRAME_BYTES } from './framing.js';

/**
 * Plain msgpack maps, never msgpackr records: a peer must not depend on structure state shared across
 * messages. `undefined` properties are left out, as JSON would, so optional fields stay absent.
 * (`skipValues` exists in msgpackr but is missing from its typings.)
 */
const packr = new Packr({ useRecords: false, skipValues: [undefined] } as ConstructorParameters<
  typeof Packr
>[0] & { skipValues: unknown[] });

/**
 * Maps become plain objects (msgpackr renames a `__proto__` key, so no prototype pollution); 64-bit
 * integers become numbers; binary (LogLine.line) comes back as a Buffer copied out of the frame, so a
 * kept log line does not pin the whole socket chunk it arrived in. Structured-clone extensions are off.
 */
const unpackr = new Unpackr({
  useRecords: false,
  mapsAsObjects: true,
  int64AsType: 'number',
  copyBuffers: true,
  structuredClone: false,
});

/**
 * Encodes a message and frames it (length prefix + msgpack), ready for `socket.write`. Accepts any
 * value so tests can send malformed messages; real callers pass a `ClientFrame` or `DaemonFrame`.
 * Throws a `FrameError` (FRAME_TOO_LARGE) when the payload exceeds `MAX_FRAME_BYTES`: split large
 * results (e.g. log lines into several events) rather than sending one huge frame.
 */
export function encodeMessage(value: unknown): Buffer {
  // Reserve the header in front of the payload so the frame needs no second copy.
  const frame = packr.pack(value, RESERVE_START_SPACE | FRAME_HEADER_BYTES);
  const length = frame.byteLength - FRAME_HEADER_BYTES;
  if (length > MAX_FRAME_BYTES) {
    throw new FrameError(
      'FRAME_TOO_LARGE',
      `message of ${length} bytes exceeds the ${MAX_FRAME_BYTES}-byte limit`,
    );
  }
  frame.writeUInt32BE(length, 0);
  return frame;
}

/**
 * Decodes one payload (as returned by `FrameDecoder.push`) to an unchecked value: pass it to
 * `parseClientFrame` / `parseDaemonFrame` before use. Throws a `FrameError` (BAD_FRAME) when the bytes
 * are not exactly one msgpack value.
 */
export function decodeMessage(payload: Uint8Array): unknown {
  try {
    return unpackr.unpack(payload);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new FrameError('BAD_FRAME', `undecodable frame: ${reason.split('\n', 1)[0]?.slice(0, 200)}`, {
      cause: error,
    });
  }
}
