import type { Socket } from 'node:net';
import {
  type ByteBudget,
  type ClientFrame,
  type DaemonFrame,
  FrameConnection,
  PROTOCOL_VERSION,
  ProtocolError,
  type Request,
  type StreamEvent,
  toWireError,
} from '@kepler/protocol';
import {
  type HandlerTable,
  isValidEvent,
  type RequestContext,
  runRequest,
  wireErrorOf,
} from './handlers/index.js';

/** Bytes queued on a slow client's socket after which its streams stop being fed and it is dropped. */
export const MAX_CLIENT_BACKLOG_BYTES = 64 * 1024 * 1024;

interface InFlight {
  cancel: () => void;
  cancelled: boolean;
}

/**
 * One client connection's requests: framing and validation are FrameConnection's; this maps requests
 * to handlers. The first request must be `hello` with our protocol version. Many requests may be in
 * flight; streaming requests end when their handler returns or the client cancels them.
 */
export class Connection {
  private readonly frames: FrameConnection;
  private readonly inFlight = new Map<number, InFlight>();
  private greeted = false;
  private readonly helloTimer: NodeJS.Timeout;

  constructor(
    private readonly socket: Socket,
    private readonly handlers: HandlerTable,
    private readonly opts: {
      log: (l: string) => void;
      /** For lines about clients turned away (a throttled `log`: a flood of them must not flood it). */
      logLimit: (l: string) => void;
      helloTimeoutMs: number;
      /** Shared by every connection: bytes of incomplete frames they may hold together. */
      budget: ByteBudget;
      /** An incomplete frame with no new byte for this long closes the connection. */
      frameStallMs: number;
      isShuttingDown: () => boolean;
      /** Called after each request is answered (or its stream ends). */
      onRequestDone?: () => void;
    },
  ) {
    this.helloTimer = setTimeout(() => {
      const error = `no hello within ${opts.helloTimeoutMs} ms: closing the connection`;
      this.refuse(new ProtocolError('TIMEOUT', error));
    }, opts.helloTimeoutMs);
    this.frames = new FrameConnection(
      socket,
      {
        onFrame: (frame) => this.onFrame(frame),
        onInvalidRequest: (id, error) => {
          if (!this.greeted) this.destroy();
          else this.send({ kind: 'response', id, ok: false, error: toWireError(error) });
        },
        onProtocolError: (error) => {
          // Limits reached (OVERLOADED, a stalled frame): worth a line; broken framing is the client's bug.
          if (error.code === 'OVERLOADED' || error.code === 'TIMEOUT') {
            opts.logLimit(`closing a client connection: ${error.message}`);
          }
        },
        onClose: () => this.onClose(),
      },
      { budget: opts.budget, stallTimeoutMs: opts.frameStallMs },
    );
  }

  /** Turns the connection away at once, telling the client why (a connection error), e.g. too many. */
  refuse(error: ProtocolError): void {
    this.frames.closeWithError(error);
    this.onClose();
  }

  destroy(): void {
    this.frames.destroy();
    this.onClose();
  }

  /**
   * Ends the connection once what was already sent is flushed (a follow's final response), or after
   * `graceMs` for a client that does not read: for a daemon about to exit.
   */
  closeFlushed(graceMs: number): Promise<void> {
    if (this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.destroy(), graceMs);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.frames.close();
    });
  }

  private onClose(): void {
    clearTimeout(this.helloTimer);
    for (const f of this.inFlight.values()) f.cancel();
    this.inFlight.clear();
  }

  private onFrame(frame: ClientFrame): void {
    if (frame.kind === 'cancel') {
      this.inFlight.get(frame.id)?.cancel();
      return;
    }
    const { id, request } = frame;
    if (!this.greeted) {
      if (request.type !== 'hello') {
        this.destroy();
        return;
      }
      clearTimeout(this.helloTimer);
      if (request.protocol !== PROTOCOL_VERSION) {
        this.send({
          kind: 'response',
          id,
          ok: false,
          error: {
            code: 'PROTOCOL_MISMATCH',
            message: `the daemon runs protocol ${PROTOCOL_VERSION}, this CLI speaks ${request.protocol}: restart the daemon`,
            data: { protocol: PROTOCOL_VERSION },
          },
        });
        this.frames.close();
        return;
      }
      this.greeted = true;
    }
    if (this.inFlight.has(id)) {
      this.send({
        kind: 'response',
        id,
        ok: false,
        error: { code: 'BAD_REQUEST', message: `request id ${id} is already in flight` },
      });
      return;
    }
    void this.dispatch(id, request);
  }

  private async dispatch(id: number, request: Request): Promise<void> {
    let cancel!: () => void;
    const cancelled = new Promise<void>((resolve) => {
      cancel = resolve;
    });
    const entry: InFlight = { cancelled: false, cancel: () => undefined };
    entry.cancel = () => {
      entry.cancelled = true;
      cancel();
    };
    this.inFlight.set(id, entry);
    const ctx: RequestContext = {
      emit: (event: StreamEvent) => {
        if (!entry.cancelled && isValidEvent(request.type, event, this.opts.log))
          this.send({ kind: 'event', id, event });
      },
      cancelled,
      isCancelled: () => entry.cancelled,
      drained: () => this.frames.waitForDrain(),
    };
    try {
      const result = await runRequest(this.handlers, request, ctx, this.opts.isShuttingDown);
      this.send({ kind: 'response', id, ok: true, result });
    } catch (e) {
      const error = wireErrorOf(e, this.opts.log, `handling ${request.type}`);
      this.send({ kind: 'response', id, ok: false, error });
    } finally {
      this.inFlight.delete(id);
      this.opts.onRequestDone?.();
    }
  }

  private send(frame: DaemonFrame): void {
    if (this.frames.isClosed) return;
    if (this.frames.writableLength > MAX_CLIENT_BACKLOG_BYTES) {
      this.opts.log('dropping a client that does not read its stream');
      this.destroy();
      return;
    }
    try {
      this.frames.send(frame);
    } catch (e) {
      this.opts.log(`cannot encode a response: ${(e as Error).message}`);
    }
  }
}
