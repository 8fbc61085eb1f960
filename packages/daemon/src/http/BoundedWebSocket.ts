import type { WebSocket } from 'ws';

/**
 * Bytes a WebSocket client may leave unread in the daemon (its send buffer) before it is dropped.
 * `KEPLER_WS_MAX_BUFFERED_BYTES` overrides it (for tests).
 */
export const MAX_WS_BUFFERED_BYTES = 8 * 1024 * 1024;
/** Environment variable that overrides `MAX_WS_BUFFERED_BYTES` (a positive integer of bytes). */
export const WS_BUFFER_ENV = 'KEPLER_WS_MAX_BUFFERED_BYTES';
/**
 * The close code a slow consumer gets (1013, "try again later"): its stream was dropped, not ended.
 * It arrives after what was already buffered, if the client reads that within `SLOW_CLOSE_GRACE_MS`.
 */
export const SLOW_CONSUMER_CLOSE_CODE = 1013;
/** How long a dropped slow consumer has to read its buffered messages and the close before it is cut. */
export const SLOW_CLOSE_GRACE_MS = 10_000;
/**
 * A client is pinged this often and cut when it has not answered the previous ping: a peer gone
 * without a FIN (a laptop closed) must not hold its stream and subscription forever.
 */
export const WS_PING_INTERVAL_MS = 30_000;
/** The close code when the daemon ends a stream itself (it is shutting down): "going away". */
export const GOING_AWAY_CLOSE_CODE = 1001;

/** The buffer bound in force: the environment's when it is a positive integer, else the default. */
export function wsBufferBytesFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env[WS_BUFFER_ENV] ?? '';
  const n = Number(raw);
  return /^\d+$/.test(raw) && Number.isSafeInteger(n) && n > 0 ? n : MAX_WS_BUFFERED_BYTES;
}

/**
 * A WebSocket that sends JSON messages and never holds more than `maxBufferedBytes` (plus one
 * message) for a client that does not read: past that it stops sending, closes with
 * SLOW_CONSUMER_CLOSE_CODE (as the socket's connections get OVERLOADED) and, if the client still
 * does not read, cuts the connection after a grace period.
 */
export class BoundedWebSocket {
  private dropped = false;
  /** Resolves when the WebSocket closes (client gone, dropped, or ended by the daemon). */
  readonly closed: Promise<void>;

  constructor(
    private readonly ws: WebSocket,
    private readonly maxBufferedBytes: number,
    private readonly onDrop: (why: string) => void,
  ) {
    this.closed = new Promise((resolve) => ws.once('close', () => resolve()));
    let answered = true;
    ws.on('pong', () => {
      answered = true;
    });
    const heartbeat = setInterval(() => {
      if (!answered) {
        ws.terminate();
        return;
      }
      answered = false;
      ws.ping();
    }, WS_PING_INTERVAL_MS);
    heartbeat.unref();
    void this.closed.then(() => clearInterval(heartbeat));
    // Clients have nothing to say on these streams: a message from one is ignored, not buffered.
    ws.on('message', () => undefined);
    ws.on('error', () => undefined);
  }

  get isOpen(): boolean {
    return !this.dropped && this.ws.readyState === this.ws.OPEN;
  }

  send(message: unknown): void {
    if (!this.isOpen) return;
    if (this.ws.bufferedAmount > this.maxBufferedBytes) {
      this.drop();
      return;
    }
    this.ws.send(JSON.stringify(message));
  }

  /** Ends the stream normally (`code` 1000) or because the daemon goes away. */
  end(code = 1000, reason = ''): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(code, reason);
  }

  private drop(): void {
    this.dropped = true;
    this.onDrop(
      `dropping a WebSocket client that does not read its stream (over ${this.maxBufferedBytes} bytes unread)`,
    );
    this.ws.close(SLOW_CONSUMER_CLOSE_CODE, 'OVERLOADED: the client did not read its stream');
    const timer = setTimeout(() => this.ws.terminate(), SLOW_CLOSE_GRACE_MS);
    timer.unref();
    void this.closed.then(() => clearTimeout(timer));
  }
}
