import {
  ProtocolError,
  parseDaemonEnvelope,
  parseResult,
  type Request,
  type RequestType,
  type ResultOf,
  type StreamEvent,
  toWireError,
  type WireError,
} from '@kepler/protocol';
import { DaemonError } from '../../errors.js';
import type { Handler, HandlerTable, RequestContext } from './HandlerTable.js';

/** What a daemon that is shutting down still answers. */
const ANSWERED_WHILE_SHUTTING_DOWN: ReadonlySet<RequestType> = new Set(['hello', 'status', 'shutdown']);

/**
 * Runs one validated request through its handler, for the socket (`Connection`) and the HTTP API
 * (`http/invoke.ts`) alike: refused while the daemon shuts down, and the result checked by the client's
 * own validator, so a bug answers with an error rather than a frame that makes the client drop the
 * connection. Returns the checked result.
 */
export async function runRequest<T extends RequestType>(
  handlers: HandlerTable,
  request: Request & { type: T },
  ctx: RequestContext,
  isShuttingDown: () => boolean,
): Promise<ResultOf[T]> {
  if (isShuttingDown() && !ANSWERED_WHILE_SHUTTING_DOWN.has(request.type)) {
    throw new DaemonError('SHUTTING_DOWN', 'the daemon is shutting down');
  }
  const handler = handlers[request.type] as Handler<RequestType>;
  const result = await handler(request, ctx);
  try {
    return parseResult(request.type, result);
  } catch (e) {
    throw new Error(`the daemon built an invalid ${request.type} result: ${(e as Error).message}`);
  }
}

/** False (and a line logged) for an event the client would reject: sending it would close its connection. */
export function isValidEvent(type: RequestType, event: StreamEvent, log: (line: string) => void): boolean {
  try {
    parseDaemonEnvelope({ kind: 'event', id: 1, event });
    return true;
  } catch (e) {
    log(`internal error: dropped an invalid ${type} event: ${(e as Error).message}`);
    return false;
  }
}

/**
 * The wire error of what a request threw. Anything but a DaemonError or ProtocolError is a bug: it is
 * logged with its stack (`what`: what was being done) and answered as INTERNAL.
 */
export function wireErrorOf(e: unknown, log: (line: string) => void, what: string): WireError {
  if (e instanceof DaemonError) {
    return e.data === undefined
      ? { code: e.code, message: e.message }
      : { code: e.code, message: e.message, data: e.data };
  }
  if (!(e instanceof ProtocolError)) log(`internal error ${what}: ${(e as Error)?.stack ?? String(e)}`);
  return toWireError(e);
}
