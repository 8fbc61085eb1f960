/**
 * Frames built by hand, for tests that speak to the daemon's socket below the protocol package:
 * malformed, partial or hostile input. msgpackr is the protocol package's dependency: use it
 * directly, not the protocol's own encoder, so a bug in that encoder cannot hide a bug in the
 * daemon's decoder.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO } from './testkit.js';

const { Packr, Unpackr } = createRequire(join(REPO, 'packages/protocol/package.json'))('msgpackr') as {
  Packr: new (o: object) => { pack: (v: unknown) => Buffer };
  Unpackr: new (o: object) => { unpack: (b: Buffer) => unknown };
};
const packr = new Packr({ useRecords: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });

/** The protocol version the built daemon speaks (a hello with another is refused on its own id). */
export const { PROTOCOL_VERSION } = (await import(
  pathToFileURL(join(REPO, 'packages/protocol/dist/index.js')).href
)) as { PROTOCOL_VERSION: number };

/** The 4-byte big-endian length prefix of a frame of `length` bytes. */
export function frameHeader(length: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(length, 0);
  return b;
}

/** `payload` as one frame, whatever its bytes. */
export function rawFrame(payload: Buffer): Buffer {
  return Buffer.concat([frameHeader(payload.length), payload]);
}

/** `value` msgpack-encoded as one frame. */
export function frame(value: unknown): Buffer {
  return rawFrame(packr.pack(value));
}

/** Decodes one frame's payload. */
export function unpack(payload: Buffer): unknown {
  return unpackr.unpack(payload);
}
