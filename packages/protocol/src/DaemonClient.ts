import net from 'node:net';
import { decodeMessage, encodeMessage } from './codec.js';
import { ProtocolError, RemoteError } from './errors.js';
import { FrameDecoder } from './framing.js';
import {
  type ClientFrame,
  CONNECTION_ERROR_ID,
  PROTOCOL_VERSION,
  type Requests,
  type RequestType,
  type ResultOf,
  type StreamEvent,
} from './messages.js';
import { frameIdOf, helloProtocolOf, parseDaemonEnvelope, parseResult } from './validate/index.js';

/** Default deadline for connecting to the socket and completing the hello exchange. */
export const CONNECT_TIMEOUT_MS = 5_000;

/** How long `close()` waits for written frames to flush before dropping the socket. */
export const CLOSE_GRACE_MS = 1_000;

export interface ConnectOptions {
  /** Who connects, sent in hello for the daemon's logs, e.g. `kepler-cli/0.1.0`. */
  readonly client?: string;
  /** Deadline for the connection and the hello exchange together, ms. Default `CONNECT_TIMEOUT_MS`. */
  readonly connectTimeoutMs?: number;
}

/** A streaming request in flight: its final result, and a way to end it early. */
export interface StreamHandle<T extends RequestType> {
  /** The daemon's response; after `cancel()` it still arrives (the daemon answers cancelled streams). */
  readonly result: Promise<ResultOf[T]>;
  /** Asks the daemon to end the stream (sends `{kind: 'cancel', id}` once); no-op once settled. */
  cancel(): void;
}

interface Pending {
  readonly type: RequestType;
  readonly onEvent: ((event: StreamEvent) => void) | undefined;
  cancelSent: boolean;
  /** Validates the raw result against this request's type and resolves; throws if it is invalid. */
  settle(raw: unknown): void;
  reject(error: unknown): void;
}

/** The one line a user sees when the CLI and the daemon speak different protocol versions. */
export function protocolMismatchMessage(daemonProtocol: number | undefined): string {
  return `the daemon runs protocol ${daemonProtocol ?? 'unknown'}, this CLI speaks ${PROTOCOL_VERSION}: restart the daemon`;
}

/** Maps a failed connect to the codes the CLI explains (exported for tests). */
export function connectError(err: NodeJS.ErrnoException, socketPath: string): ProtocolError {
  switch (err.code) {
    case 'ENOENT':
    case 'ECONNREFUSED':
      return new ProtocolError(
        'DAEMON_NOT_RUNNING',
        `the daemon is not running (no one listens on ${socketPath})`,
        {
          cause: err,
        },
      );
    case 'EACCES':
    case 'EPERM':
      return new ProtocolError('PERMISSION_DENIED', `permission denied on ${socketPath}`, { cause: err });
    default:
      return new ProtocolError('CONNECTION_CLOSED', `cannot connect to ${socketPath}: ${err.message}`, {
        cause: err,
      });
  }
}

/**
 * A connection to the daemon: typed requests with many in flight, responses matched by id, streams
 * of events, and cancellation. Obtain one with `DaemonClient.connect()`, which has already checked
 * the protocol version. It does not reconnect: once `closed` settles, every call fails with
 * CONNECTION_CLOSED.
 */
export class DaemonClient {
  /** What the daemon answered to hello (its protocol, version and pid). */
  readonly daemon: ResultOf['hello'];
  /** Resolves once the socket is closed, whoever closed it. Never rejects. */
  readonly closed: Promise<void>;

  readonly #socket: net.Socket;
  readonly #decoder: FrameDecoder;
  readonly #pending = new Map<number, Pending>();
  #nextId: number;
  /** Set once the connection is finished: why later calls fail. */
  #failure: ProtocolError | null = null;

  private constructor(socket: net.Socket, decoder: FrameDecoder, nextId: number, daemon: ResultOf['hello']) {
    this.#socket = socket;
    this.#decoder = decoder;
    this.#nextId = nextId;
    this.daemon = daemon;
    this.closed = new Promise((resolve) => {
      if (socket.destroyed) resolve();
      else socket.once('close', () => resolve());
    });
  }

  /**
   * Connects to the daemon's socket and performs the hello exchange. Rejects with a `ProtocolError`:
   * DAEMON_NOT_RUNNING (no socket, or nobody listening), PERMISSION_DENIED (not in the socket's group),
   * PROTOCOL_MISMATCH (one line: `the daemon runs protocol N, this CLI speaks M: restart the daemon`),
   * TIMEOUT (no answer within `connectTimeoutMs`), CONNECTION_CLOSED, BAD_FRAME, or the daemon's
   * own error for hello (`RemoteError`).
   */
  static connect(socketPath: string, opts: ConnectOptions = {}): Promise<DaemonClient> {
    const timeoutMs = opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
    const helloId = 1;
    return new Promise<DaemonClient>((resolve, reject) => {
      const socket = net.createConnection({ path: socketPath });
      const decoder = new FrameDecoder();
      let connected = false;
      let settled = false;
      const finish = (error: ProtocolError | null, client?: DaemonClient) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('error', onError);
        socket.off('close', onClose);
        if (error || !client) {
          // A late error (e.g. EPIPE from the hello write) must not go unhandled once we stop listening.
          socket.on('error', () => undefined);
          socket.destroy();
          reject(error);
        } else {
          resolve(client);
        }
      };
      const timer = setTimeout(() => {
        finish(
          new ProtocolError('TIMEOUT', `the daemon did not answer within ${timeoutMs} ms (${socketPath})`),
        );
      }, timeoutMs);
      const onError = (err: NodeJS.ErrnoException) => {
        finish(
          connected
            ? new ProtocolError('CONNECTION_CLOSED', `connection to the daemon failed: ${err.message}`, {
                cause: err,
              })
            : connectError(err, socketPath),
        );
      };
      const onClose = () => {
        finish(
          new ProtocolError('CONNECTION_CLOSED', 'the daemon closed the connection before answering hello'),
        );
      };
      const onData = (chunk: Buffer) => {
        try {
          // Only the hello response is expected before `connect` resolves; nothing else is pending.
          for (const payload of decoder.push(chunk)) {
            const value = decodeMessage(payload);
            const id = frameIdOf(value);
            // A connection error (e.g. OVERLOADED) instead of the hello answer is thrown below.
            if (id !== helloId && id !== CONNECTION_ERROR_ID) continue;
            // Read the version leniently first: a daemon of another protocol may differ everywhere
            // else, and the user must get the one clear line rather than a validation error.
            const daemonProtocol = helloProtocolOf(value);
            if (daemonProtocol !== undefined && daemonProtocol !== PROTOCOL_VERSION) {
              throw new ProtocolError('PROTOCOL_MISMATCH', protocolMismatchMessage(daemonProtocol), {
                data: { daemon: daemonProtocol, client: PROTOCOL_VERSION },
              });
            }
            const frame = parseDaemonEnvelope(value);
            if (frame.kind === 'event' || (frame.ok && id !== helloId)) continue;
            if (!frame.ok) {
              if (frame.error.code === 'PROTOCOL_MISMATCH') {
                throw new ProtocolError('PROTOCOL_MISMATCH', protocolMismatchMessage(undefined), {
                  data: { daemon: null, client: PROTOCOL_VERSION },
                });
              }
              throw new RemoteError(frame.error);
            }
            const hello = parseResult('hello', frame.result);
            // Frames after hello in the same chunk would belong to no request (none was sent yet).
            const client = new DaemonClient(socket, decoder, helloId + 1, hello);
            finish(null, client);
            client.#attach();
            return;
          }
        } catch (error) {
          finish(error instanceof ProtocolError ? error : new ProtocolError('BAD_FRAME', String(error)));
        }
      };
      socket.on('error', onError);
      socket.on('close', onClose);
      socket.on('data', onData);
      socket.once('connect', () => {
        connected = true;
        const hello: ClientFrame = {
          kind: 'request',
          id: helloId,
          request: { type: 'hello', protocol: PROTOCOL_VERSION, client: opts.client ?? 'kepler' },
        };
        socket.write(encodeMessage(hello));
      });
    });
  }

  /** True once the connection is closed or closing; requests then fail with CONNECTION_CLOSED. */
  get isClosed(): boolean {
    return this.#failure !== null;
  }

  /**
   * Sends one request and resolves with its result, validated against `ResultOf[T]`. An error
   * response rejects with a `RemoteError` (the daemon's code, message and data); a lost connection
   * rejects with CONNECTION_CLOSED. Events, if the daemon sends any for it, are ignored: use `stream`.
   */
  request<T extends RequestType>(req: Requests[T] & { type: T }): Promise<ResultOf[T]> {
    return this.#start<T>(req, undefined).result;
  }

  /**
   * Sends a streaming request (logs with follow, start in wait/follow mode): every event with the
   * request's id goes to `onEvent`, in order, until the response arrives. If `onEvent` throws, the
   * stream is cancelled and `result` rejects with that error.
   */
  stream<T extends RequestType>(
    req: Requests[T] & { type: T },
    onEvent: (event: StreamEvent) => void,
  ): StreamHandle<T> {
    return this.#start<T>(req, onEvent);
  }

  /**
   * Stops reading from the daemon (its sends then wait, as `kepler logs` does when its stdout is
   * slower than the daemon); `resume()` reads again. Events already received are still delivered.
   */
  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    this.#socket.resume();
  }

  /**
   * Closes the connection after flushing what was written (a just-sent cancel still reaches the
   * daemon). Pending requests reject with CONNECTION_CLOSED at once. Idempotent.
   */
  close(): void {
    this.#fail(new ProtocolError('CONNECTION_CLOSED', 'the connection was closed'));
    if (this.#socket.destroyed) return;
    this.#socket.end(() => this.#socket.destroy());
    // A daemon that stops reading must not keep this process alive.
    setTimeout(() => this.#socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  #start<T extends RequestType>(
    req: Requests[T] & { type: T },
    onEvent: ((e: StreamEvent) => void) | undefined,
  ): StreamHandle<T> {
    const id = this.#nextId++;
    let entry: Pending | undefined;
    const result = new Promise<ResultOf[T]>((resolve, reject) => {
      if (this.#failure) {
        reject(this.#failure);
        return;
      }
      let bytes: Buffer;
      try {
        bytes = encodeMessage({ kind: 'request', id, request: req } satisfies ClientFrame);
      } catch (error) {
        reject(error);
        return;
      }
      const type: T = req.type;
      const created: Pending = {
        type,
        onEvent,
        cancelSent: false,
        settle: (raw) => resolve(parseResult(type, raw)),
        reject,
      };
      entry = created;
      this.#pending.set(id, created);
      this.#socket.write(bytes);
    });
    const cancel = () => {
      if (!entry || entry.cancelSent || this.#pending.get(id) !== entry || this.#failure) return;
      entry.cancelSent = true;
      this.#socket.write(encodeMessage({ kind: 'cancel', id } satisfies ClientFrame));
    };
    return { result, cancel };
  }

  #attach(): void {
    this.#socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    // The cause is kept for the close handler; without a listener an error would crash the process.
    let socketError: Error | undefined;
    this.#socket.on('error', (err) => {
      socketError = err;
    });
    this.#socket.on('close', () => {
      const detail = socketError ? `: ${socketError.message}` : '';
      this.#fail(new ProtocolError('CONNECTION_CLOSED', `the daemon closed the connection${detail}`));
    });
  }

  #onData(chunk: Buffer): void {
    if (this.#failure) return;
    try {
      for (const payload of this.#decoder.push(chunk)) {
        const value = decodeMessage(payload);
        const id = frameIdOf(value);
        if (id === CONNECTION_ERROR_ID) {
          // The daemon is closing this connection and says why: every pending request fails with it.
          const frame = parseDaemonEnvelope(value);
          if (frame.kind === 'response' && !frame.ok) {
            this.#fail(new RemoteError(frame.error));
            this.#socket.destroy();
            return;
          }
          continue;
        }
        // A frame for a request nobody waits for any more (onEvent threw) is dropped.
        if (id !== undefined && !this.#pending.has(id)) continue;
        const frame = parseDaemonEnvelope(value);
        const entry = this.#pending.get(frame.id);
        if (!entry) continue;
        if (frame.kind === 'event') {
          this.#deliver(frame.id, entry, frame.event);
        } else if (frame.ok) {
          this.#pending.delete(frame.id);
          try {
            entry.settle(frame.result);
          } catch (error) {
            entry.reject(error);
            throw error;
          }
        } else {
          this.#pending.delete(frame.id);
          entry.reject(new RemoteError(frame.error));
        }
        if (this.#failure) return;
      }
    } catch (error) {
      // A daemon that breaks framing or sends invalid frames cannot be trusted with the rest.
      this.#fail(error instanceof ProtocolError ? error : new ProtocolError('BAD_FRAME', String(error)));
      this.#socket.destroy();
    }
  }

  #deliver(id: number, entry: Pending, event: StreamEvent): void {
    if (!entry.onEvent) return;
    try {
      entry.onEvent(event);
    } catch (error) {
      this.#pending.delete(id);
      entry.reject(error instanceof Error ? error : new Error(String(error)));
      if (!entry.cancelSent && !this.#failure) {
        entry.cancelSent = true;
        this.#socket.write(encodeMessage({ kind: 'cancel', id } satisfies ClientFrame));
      }
    }
  }

  /** Marks the connection finished (first reason wins) and rejects every pending request. */
  #fail(error: ProtocolError): void {
    if (this.#failure) return;
    this.#failure = error;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const entry of pending) entry.reject(error);
  }
}
