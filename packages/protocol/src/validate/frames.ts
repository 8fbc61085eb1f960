/**
 * The entry points: decoded `unknown` -> typed frames. Every field of every message is checked and
 * the result is built field by field (never a cast of decoded data), so a value that passes has
 * exactly the declared type. A bad client frame is a BAD_REQUEST `ProtocolError`; a bad daemon frame
 * is a BAD_FRAME `FrameError`; both name the offending field.
 */

import { FrameError, isErrorCode, ProtocolError } from '../errors.js';
import type { ClientFrame, DaemonFrame, RequestType, ResultOf, StreamEvent, WireError } from '../messages.js';
import { streamEvent } from './events.js';
import {
  bool,
  type Check,
  count,
  FieldError,
  isPlainObject,
  nonEmptyStr,
  obj,
  oneOf,
  str,
} from './fields.js';
import { request } from './requests.js';
import { RESULT_PARSERS } from './results.js';

/**
 * An error code this side does not know (a newer daemon's) becomes INTERNAL with the code kept in
 * the message: the user still sees what happened, instead of a broken connection.
 */
function wireError(value: unknown, path: string): WireError {
  const o = obj(value, path);
  const rawCode = nonEmptyStr(o.code, `${path}.code`);
  const message = str(o.message, `${path}.message`);
  const code = isErrorCode(rawCode) ? rawCode : 'INTERNAL';
  const error = { code, message: code === rawCode ? message : `${rawCode}: ${message}` };
  return o.data === undefined ? error : { ...error, data: o.data };
}

/** The frame's `id` when it is an object with a valid one (so a bad request can still be answered). */
export function frameIdOf(value: unknown): number | undefined {
  if (!isPlainObject(value)) return undefined;
  const id = value.id;
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : undefined;
}

/**
 * The `id` of a frame that claims to be a request (`kind: 'request'` and a valid id) even if the rest
 * of it is invalid: the daemon answers such a frame with a BAD_REQUEST response instead of
 * disconnecting. Undefined for anything else.
 */
export function requestIdOf(value: unknown): number | undefined {
  return isPlainObject(value) && value.kind === 'request' ? frameIdOf(value) : undefined;
}

/**
 * Checks a decoded client frame (`request` or `cancel`). Throws a `ProtocolError` with code
 * BAD_REQUEST naming the offending field (`bad request: request.config.path: ...`). When the frame
 * still claims to be a request with a valid id (`requestIdOf`), the daemon answers that id with it.
 */
export function parseClientFrame(value: unknown): ClientFrame {
  try {
    const o = obj(value, 'frame');
    const kind = oneOf(['request', 'cancel'])(o.kind, 'kind');
    const id = count(o.id, 'id');
    if (kind === 'cancel') return { kind, id };
    return { kind, id, request: request(o.request, 'request') };
  } catch (error) {
    if (error instanceof FieldError) throw new ProtocolError('BAD_REQUEST', `bad request: ${error.message}`);
    throw error;
  }
}

/**
 * A daemon frame whose envelope, event or error is checked but whose `result` is not yet: a result
 * can only be checked against the request it answers (`parseResult`). For clients that keep their
 * own id -> request table; `parseDaemonFrame` does both steps.
 */
export type DaemonEnvelope =
  | { kind: 'response'; id: number; ok: true; result: unknown }
  | { kind: 'response'; id: number; ok: false; error: WireError }
  | { kind: 'event'; id: number; event: StreamEvent };

/** Checks a daemon frame except a response's `result`. Throws a `FrameError` (BAD_FRAME) naming the field. */
export function parseDaemonEnvelope(value: unknown): DaemonEnvelope {
  try {
    const o = obj(value, 'frame');
    const kind = oneOf(['response', 'event'])(o.kind, 'kind');
    const id = count(o.id, 'id');
    if (kind === 'event') return { kind, id, event: streamEvent(o.event, 'event') };
    if (bool(o.ok, 'ok')) return { kind, id, ok: true, result: o.result };
    return { kind, id, ok: false, error: wireError(o.error, 'error') };
  } catch (error) {
    throw asFrameError(error);
  }
}

/**
 * Checks a response's result against the request type it answers (`ResultOf[type]`). Throws a
 * `FrameError` (BAD_FRAME) naming the field, e.g. `invalid daemon frame: result.services[0].status: ...`.
 */
export function parseResult<T extends RequestType>(type: T, value: unknown): ResultOf[T] {
  try {
    const parse: Check<ResultOf[T]> = RESULT_PARSERS[type];
    return parse(value, 'result');
  } catch (error) {
    throw asFrameError(error);
  }
}

/**
 * Checks a decoded daemon frame entirely. `resultTypeOf(id)` says which request type an id belongs
 * to, since a result is checked against that request's `ResultOf` entry; an ok response for an id
 * it does not know is rejected. Throws a `FrameError` (BAD_FRAME) naming the field: a daemon that sends
 * invalid frames cannot be trusted further.
 */
export function parseDaemonFrame(
  value: unknown,
  resultTypeOf: (id: number) => RequestType | undefined,
): DaemonFrame {
  const frame = parseDaemonEnvelope(value);
  if (frame.kind === 'event' || !frame.ok) return frame;
  const type = resultTypeOf(frame.id);
  if (type === undefined) {
    throw new FrameError('BAD_FRAME', `invalid daemon frame: id: no request ${frame.id} is pending`);
  }
  return { kind: 'response', id: frame.id, ok: true, result: parseResult(type, frame.result) };
}

function asFrameError(error: unknown): unknown {
  return error instanceof FieldError
    ? new FrameError('BAD_FRAME', `invalid daemon frame: ${error.message}`)
    : error;
}

/**
 * The daemon's protocol version from its answer to hello, read leniently: only `result.protocol` of an
 * ok response, or `error.data.protocol` of a PROTOCOL_MISMATCH error. This part of the envelope is
 * frozen (see PROTOCOL_VERSION), so it works against a daemon of any version. Undefined if absent.
 */
export function helloProtocolOf(value: unknown): number | undefined {
  if (!isPlainObject(value) || value.kind !== 'response') return undefined;
  let holder: unknown;
  if (value.ok === true) holder = value.result;
  else if (isPlainObject(value.error) && value.error.code === 'PROTOCOL_MISMATCH') holder = value.error.data;
  if (!isPlainObject(holder)) return undefined;
  const protocol = holder.protocol;
  return typeof protocol === 'number' && Number.isSafeInteger(protocol) ? protocol : undefined;
}
