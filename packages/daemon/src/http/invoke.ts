import {
  type ErrorCode,
  ProtocolError,
  parseClientFrame,
  type Request,
  type ResultOf,
  type StreamEvent,
} from '@kepler/protocol';
import {
  type HandlerTable,
  isValidEvent,
  type RequestContext,
  runRequest,
  wireErrorOf,
} from '../server/handlers/index.js';

/** What a call of a socket handler needs from its HTTP request or WebSocket. */
export interface InvokeOptions {
  /** Receives the handler's events (log lines of a follow); none by default. */
  emit?: (event: StreamEvent) => void;
  /** Resolves when the HTTP client goes away (or the WebSocket closes). */
  cancelled?: Promise<void>;
  /** Resolves once the client has taken what was emitted. */
  drained?: () => Promise<void>;
}

/** The socket's request handlers and how the daemon stands, for the HTTP layer. */
export interface HandlerAccess {
  readonly handlers: HandlerTable;
  isShuttingDown(): boolean;
  log(line: string): void;
}

/**
 * Runs one request through the socket's own handler table and `runRequest`, as `Connection` does: the
 * request checked by the protocol's validator, the handler, the result checked by the client's validator. The
 * HTTP API has no operation of its own: every route ends here.
 */
export async function invoke<R extends Request>(
  access: HandlerAccess,
  request: R,
  opts: InvokeOptions = {},
): Promise<ResultOf[R['type']]> {
  const checked = parseClientFrame({ kind: 'request', id: 1, request });
  if (checked.kind !== 'request') throw new ProtocolError('BAD_REQUEST', 'not a request');
  let cancelled = false;
  const ctx: RequestContext = {
    emit: (event) => {
      if (cancelled || !opts.emit || !isValidEvent(checked.request.type, event, (l) => access.log(l))) return;
      opts.emit(event);
    },
    cancelled: (opts.cancelled ?? new Promise<void>(() => undefined)).then(() => {
      cancelled = true;
    }),
    isCancelled: () => cancelled,
    drained: opts.drained ?? (() => Promise.resolve()),
  };
  const result = await runRequest(access.handlers, checked.request, ctx, () => access.isShuttingDown());
  return result as ResultOf[R['type']];
}

/** An error answered with an HTTP status: for the API's own checks (a missing field, an unknown route). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode | 'PERMISSION_DENIED',
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** HTTP status of each wire error code. */
const STATUS_OF: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  PROTOCOL_MISMATCH: 400,
  CONFIG_INVALID: 422,
  CONFIG_NOT_FOUND: 404,
  CONFIG_NOT_LOADED: 404,
  UNKNOWN_SERVICE: 404,
  SERVICES_RUNNING: 409,
  START_FAILED: 500,
  TIMEOUT: 504,
  SHUTTING_DOWN: 503,
  INTERNAL: 500,
  OVERLOADED: 503,
  SERVICE_EXISTS: 409,
};

/** The HTTP status and `{code, message}` body of anything thrown while answering (a bug is INTERNAL, logged). */
export function errorResponse(
  e: unknown,
  log: (line: string) => void,
): { status: number; body: { code: string; message: string } } {
  if (e instanceof ApiError) return { status: e.status, body: { code: e.code, message: e.message } };
  const wire = wireErrorOf(e, log, 'answering HTTP');
  return { status: STATUS_OF[wire.code] ?? 500, body: { code: wire.code, message: wire.message } };
}
