import type net from 'node:net';
import { decodeMessage, encodeMessage } from './codec.js';
import { ProtocolError, toWireError } from './errors.js';
import { FrameDecoder, type FrameDecoderOptions } from './framing.js';
import type { ClientFrame, DaemonFrame } from './messages.js';
import { parseClientFrame, requestIdOf } from './validate.js';

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
   * Broken framing, bytes that are not msgpack, or an invalid frame without a usable id. The socket
   * is destroyed right after this call; other connections are unaffected.
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
}

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

  constructor(socket: net.Socket, handlers: FrameConnectionHandlers, options: FrameConnectionOptions = {}) {
    this.socket = socket;
    this.#handlers = handlers;
    this.#decoder = new FrameDecoder(options);
    this.#pauseReadsWhileDraining = options.pauseReadsWhileDraining ?? true;
    this.closed = new Promise((resolve) => {
      if (socket.closed) {
        this.#isClosed = true;
        resolve();
        return;
      }
      socket.once('close', () => {
        this.#isClosed = true;
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
    return this.#isClosed || this.socket.destroyed;
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

  #onData(chunk: Buffer): void {
    let payloads: Buffer[];
    try {
      payloads = this.#decoder.push(chunk);
    } catch (error) {
      this.#protocolError(error);
      return;
    }
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
