import type net from 'node:net';
import { decodeMessage, encodeMessage } from './codec.js';
import { ProtocolError, toWireError } from './errors.js';
import { FrameDecoder, type FrameDecoderOptions } from './framing.js';
import { type ClientFrame, CONNECTION_ERROR_ID, type DaemonFrame } from './messages.js';
import { parseClientFrame, requestIdOf } from './validate/index.js';

/** What a `FrameConnection` reports to its owner (the daemon's per-connection handler). */
export interface FrameConnectionHandlers {
  /**
   * A valid frame arrived. Called synchronously, in arrival order. If it throws for a request, the
   * request is answered with an INTERNAL error (a handler bug must not take the daemon down).
   */
  onFrame(frame: ClientFrame): void;
  /**
   * A frame claimed to be a request with a valid id but failed validation (BAD_REQUEST naming the
   * field). The connection stays open. Default: answer `{kind: 'response', id, ok: false, error}`.
   */
  onInvalidRequest?(id: number, error: ProtocolError): void;
  /**
   * Broken framing, bytes that are not msgpack, or an invalid frame without a usable id: the socket is
   * destroyed right after this call. Also an incomplete frame refused by the budget (OVERLOADED) or
   * stalled (TIMEOUT): the peer is sent that error as a connection error (`CONNECTION_ERROR_ID`) and
   * the socket closed. Other connections are unaffected.
   */
  onProtocolError?(error: ProtocolError): void;
  /** The socket closed, for whatever reason (once). End this connection's streams here. */
  onClose?(error: Error | undefined): void;
}

export interface FrameConnectionOptions extends FrameDecoderOptions {
  /**
   * Stop reading requests while the socket's write buffer is above its high-water mark, so a client
   * that sends but never reads cannot make the daemon buffer without bound. Default true.
   */
  readonly pauseReadsWhileDraining?: boolean;
  /**
   * Close the connection (TIMEOUT, sent as a connection error) when part of a frame has arrived and
   * no byte followed for this long, so a stalled frame does not hold its bytes for ever. Not counted
   * while reads are paused for backpressure (the peer is not to blame). Default: no limit.
   */
  readonly stallTimeoutMs?: number;
}

/** How long a connection closed with an error frame is given to take it before it is destroyed. */
export const ERROR_FLUSH_GRACE_MS = 1000;

/**
 * The daemon's side of one client connection: turns socket bytes into validated `ClientFrame`s and
 * `DaemonFrame`s into bytes, with write backpressure exposed. It knows nothing of what requests mean.
 * Every failure stays inside this connection: errors destroy this socket only, never throw out of an
 * event handler.
 */
export class FrameConnection {
  readonly socket: net.Socket;
  /** Resolves once the socket closed. Never rejects. */
  readonly closed: Promise<void>;

  readonly #handlers: FrameConnectionHandlers;
  readonly #decoder: FrameDecoder;
  readonly #pauseReadsWhileDraining: boolean;
  #isClosed = false;
  #error: Error | undefined;
  /** Set once the connection is being closed for an error: nothing more is read or sent. */
  #failing = false;
  readonly #stallTimeoutMs: number | undefined;
  #stallTimer: NodeJS.Timeout | null = null;

  constructor(socket: net.Socket, handlers: FrameConnectionHandlers, options: FrameConnectionOptions = {}) {
    this.socket = socket;
    this.#handlers = handlers;
    this.#decoder = new FrameDecoder(options);
    this.#pauseReadsWhileDraining = options.pauseReadsWhileDraining ?? true;
    this.#stallTimeoutMs = options.stallTimeoutMs;
    this.closed = new Promise((resolve) => {
      if (socket.closed) {
        this.#isClosed = true;
        resolve();
        return;
      }
      socket.once('close', () => {
        this.#isClosed = true;
        this.#stopStallTimer();
        // The peer's partial frame must not outlive the connection (nor keep the shared budget).
        this.#decoder.release();
        resolve();
        this.#handlers.onClose?.(this.#error);
      });
    });
    // Without an error listener, a client's reset (ECONNRESET, EPIPE) would crash the daemon.
    socket.on('error', (err) => {
      this.#error ??= err;
    });
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('drain', () => {
      if (this.#pauseReadsWhileDraining && !socket.destroyed) socket.resume();
    });
  }

  /** True once the socket is closed or being destroyed; `send` then does nothing. */
  get isClosed(): boolean {
    return this.#isClosed || this.#failing || this.socket.destroyed;
  }

  /** Bytes of an incomplete frame this connection holds (its share of the budget). */
  get heldBytes(): number {
    return this.#decoder.heldBytes;
  }

  /** True while the write buffer is above its high-water mark: slow producers down, `waitForDrain()`. */
  get writableNeedDrain(): boolean {
    return this.socket.writableNeedDrain;
  }

  /** Bytes queued for this client and not yet handed to the kernel. */
  get writableLength(): number {
    return this.socket.writableLength;
  }

  /**
   * Sends one frame. Returns false when the frame was queued above the high-water mark (await
   * `waitForDrain()` before producing more, e.g. in a log follow) or the connection is closed (then
   * nothing is sent). Throws a `FrameError` (FRAME_TOO_LARGE) for a frame above `MAX_FRAME_BYTES`,
   * before anything is written: split it, or answer an error instead.
   */
  send(frame: DaemonFrame): boolean {
    if (this.isClosed) return false;
    const bytes = encodeMessage(frame);
    const ok = this.socket.write(bytes);
    if (!ok && this.#pauseReadsWhileDraining) this.socket.pause();
    return ok;
  }

  /** Resolves when the write buffer has drained below its high-water mark, or the socket closed. */
  waitForDrain(): Promise<void> {
    if (this.isClosed || !this.socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  /** Ends the connection once queued frames are flushed. */
  close(): void {
    if (!this.socket.destroyed) this.socket.end();
  }

  /** Drops the connection now, discarding anything queued. */
  destroy(): void {
    this.socket.destroy();
  }

  /**
   * Closes the connection for `error`, telling the peer first: sends it as a connection error
   * (`{kind: 'response', id: CONNECTION_ERROR_ID, ok: false, error}`), stops reading, drops any partial
   * frame, ends the socket and destroys it `ERROR_FLUSH_GRACE_MS` later.
   */
  closeWithError(error: ProtocolError): void {
    if (this.isClosed) return;
    this.#failing = true;
    this.#error ??= error;
    this.#stopStallTimer();
    this.#decoder.release();
    this.socket.pause();
    const frame: DaemonFrame = {
      kind: 'response',
      id: CONNECTION_ERROR_ID,
      ok: false,
      error: toWireError(error),
    };
    // Not destroyed as soon as the frame is flushed: a peer still writing would get EPIPE and drop the
    // frame unread. Reads stay paused (its further bytes are not wanted), so its end is not seen
    // either: the socket goes after the grace, whatever the peer does.
    this.socket.end(encodeMessage(frame));
    setTimeout(() => this.socket.destroy(), ERROR_FLUSH_GRACE_MS).unref();
  }

  #onData(chunk: Buffer): void {
    if (this.#failing) return;
    let payloads: Buffer[];
    try {
      payloads = this.#decoder.push(chunk);
    } catch (error) {
      if (error instanceof ProtocolError && error.code === 'OVERLOADED') {
        this.#handlers.onProtocolError?.(error);
        this.closeWithError(error);
      } else {
        this.#protocolError(error);
      }
      return;
    }
    this.#watchStall();
    for (const payload of payloads) {
      if (this.isClosed) return;
      let value: unknown;
      try {
        value = decodeMessage(payload);
      } catch (error) {
        this.#protocolError(error);
        return;
      }
      let frame: ClientFrame;
      try {
        frame = parseClientFrame(value);
      } catch (error) {
        const id = requestIdOf(value);
        if (id === undefined || !(error instanceof ProtocolError)) {
          this.#protocolError(error);
          return;
        }
        this.#invalidRequest(id, error);
        continue;
      }
      try {
        this.#handlers.onFrame(frame);
      } catch (error) {
        // A bug in a handler must not crash the daemon from a socket event: answer it as INTERNAL.
        if (frame.kind === 'request')
          this.send({ kind: 'response', id: frame.id, ok: false, error: toWireError(error) });
      }
    }
  }

  /** Arms (or re-arms) the stall timer while a frame is incomplete; stops it between frames. */
  #watchStall(): void {
    if (this.#stallTimeoutMs === undefined) return;
    if (!this.#decoder.midFrame) {
      this.#stopStallTimer();
      return;
    }
    if (this.#stallTimer) {
      this.#stallTimer.refresh();
      return;
    }
    this.#stallTimer = setTimeout(() => {
      this.#stallTimer = null;
      if (this.isClosed || !this.#decoder.midFrame) return;
      // Reads paused for backpressure: the peer may be sending, we are not reading. Not its stall.
      if (this.socket.isPaused()) {
        this.#watchStall();
        return;
      }
      const error = new ProtocolError(
        'TIMEOUT',
        `no byte of an incomplete frame arrived for ${this.#stallTimeoutMs} ms: closing the connection`,
      );
      this.#handlers.onProtocolError?.(error);
      this.closeWithError(error);
    }, this.#stallTimeoutMs);
  }

  #stopStallTimer(): void {
    if (this.#stallTimer) clearTimeout(this.#stallTimer);
    this.#stallTimer = null;
  }

  #invalidRequest(id: number, error: ProtocolError): void {
    if (this.#handlers.onInvalidRequest) {
      this.#handlers.onInvalidRequest(id, error);
    } else {
      this.send({ kind: 'response', id, ok: false, error: toWireError(error) });
    }
  }

  #protocolError(error: unknown): void {
    const err = error instanceof ProtocolError ? error : new ProtocolError('BAD_FRAME', String(error));
    this.#error ??= err;
    try {
      this.#handlers.onProtocolError?.(err);
    } finally {
      this.socket.destroy();
    }
  }
}
