import { ERROR_CODES, type ErrorCode, type WireError } from './messages.js';

/**
 * Codes that never travel on the wire: they describe the connection itself, as seen from this side.
 * `FRAME_TOO_LARGE` / `BAD_FRAME`: the peer broke the framing or sent bytes that are not msgpack (the
 * connection is unusable and is closed). `DAEMON_NOT_RUNNING`: no socket, or nobody listens on it.
 * `PERMISSION_DENIED`: the socket exists but this user may not open it. `CONNECTION_CLOSED`: the
 * connection ended while a request was pending.
 */
export const LOCAL_ERROR_CODES = [
  'FRAME_TOO_LARGE',
  'BAD_FRAME',
  'DAEMON_NOT_RUNNING',
  'PERMISSION_DENIED',
  'CONNECTION_CLOSED',
] as const;
export type LocalErrorCode = (typeof LOCAL_ERROR_CODES)[number];

/** Every code a `ProtocolError` can carry: the wire's `ErrorCode`s plus the local ones. */
export type ProtocolErrorCode = ErrorCode | LocalErrorCode;

/** True when `s` is one of the stable wire error codes (`ERROR_CODES`). */
export function isErrorCode(s: unknown): s is ErrorCode {
  return typeof s === 'string' && (ERROR_CODES as readonly string[]).includes(s);
}

/**
 * The one base error of @kepler/protocol, with a stable `code`. Thrown for framing, decoding and
 * validation failures, for connection failures, and (as `RemoteError`) for errors the daemon answered.
 * The message is one line meant for users; it never embeds a stack.
 */
export class ProtocolError extends Error {
  override readonly name: string = 'ProtocolError';
  readonly code: ProtocolErrorCode;
  /** Structured details (e.g. `{issues}` for CONFIG_INVALID); never needed to read the message. */
  readonly data?: unknown;

  constructor(code: ProtocolErrorCode, message: string, options?: { data?: unknown; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options?.data !== undefined) this.data = options.data;
  }
}

/**
 * The peer broke the framing (`FRAME_TOO_LARGE`, zero-length frame) or sent a payload that is not
 * msgpack (`BAD_FRAME`). The connection cannot be resynchronised: close it. Does not cover a frame
 * that decodes but fails validation (that is `BAD_REQUEST`, answerable by id).
 */
export class FrameError extends ProtocolError {
  override readonly name: string = 'FrameError';
  declare readonly code: 'FRAME_TOO_LARGE' | 'BAD_FRAME';

  constructor(code: 'FRAME_TOO_LARGE' | 'BAD_FRAME', message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/**
 * An error response the daemon sent for one request (`{ok: false, error}`): code, message and data
 * exactly as received. It does not mean the connection is broken; other requests continue.
 */
export class RemoteError extends ProtocolError {
  override readonly name: string = 'RemoteError';
  declare readonly code: ErrorCode;

  constructor(error: WireError) {
    super(error.code, error.message, { data: error.data });
  }

  /** The wire form again, e.g. to relay it. */
  toWire(): WireError {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }
}

/**
 * What the daemon puts on the wire for an error thrown while handling a request: a `ProtocolError`
 * with a wire code keeps its code, message and data; anything else (a bug) becomes `INTERNAL` with
 * its message, never its stack. Local-only codes (e.g. CONNECTION_CLOSED) also map to INTERNAL.
 */
export function toWireError(err: unknown): WireError {
  if (err instanceof ProtocolError && isErrorCode(err.code)) {
    return err.data === undefined
      ? { code: err.code, message: err.message }
      : { code: err.code, message: err.message, data: err.data };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'INTERNAL', message: message.split('\n', 1)[0] || 'internal error' };
}
