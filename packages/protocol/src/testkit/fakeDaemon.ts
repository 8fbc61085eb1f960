/**
 * A scripted daemon for this package's tests: a real Unix socket server whose connections are
 * `FrameConnection`s. It answers hello (with a configurable protocol) and records every other frame;
 * the test answers them itself, in any order. Not exported from the package.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProtocolError } from '../errors.js';
import {
  FrameConnection,
  type FrameConnectionHandlers,
  type FrameConnectionOptions,
} from '../FrameConnection.js';
import { type ClientFrame, PROTOCOL_VERSION, type Requests } from '../messages.js';

type HelloRequest = Requests['hello'];

export interface Received {
  readonly conn: FrameConnection;
  readonly frame: ClientFrame;
}

export interface FakeDaemonOptions {
  /** What to answer hello with; a function gets the connection and request id and answers itself. */
  readonly hello?:
    | 'ok'
    | { protocol: number }
    | ((conn: FrameConnection, id: number, request: HelloRequest) => void);
  readonly handlers?: Partial<FrameConnectionHandlers>;
  /** Passed to every connection (a budget, a stall timeout). */
  readonly options?: FrameConnectionOptions;
}

/** Resolves when `predicate` holds, re-checked on every `notify()`; rejects after `timeoutMs`. */
export class Waiter {
  #waiters = new Set<() => void>();

  notify(): void {
    for (const w of [...this.#waiters]) w();
  }

  until<T>(what: string, check: () => T | undefined, timeoutMs = 5_000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const attempt = () => {
        const value = check();
        if (value === undefined) return false;
        clearTimeout(timer);
        this.#waiters.delete(onNotify);
        resolve(value);
        return true;
      };
      const onNotify = () => void attempt();
      const timer = setTimeout(() => {
        this.#waiters.delete(onNotify);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      this.#waiters.add(onNotify);
      attempt();
    });
  }
}

export class FakeDaemon {
  readonly dir: string;
  readonly path: string;
  readonly received: Received[] = [];
  readonly connections: FrameConnection[] = [];
  readonly protocolErrors: ProtocolError[] = [];
  readonly closedConnections: FrameConnection[] = [];
  readonly waiter = new Waiter();
  readonly #server: net.Server;

  private constructor(server: net.Server, dir: string) {
    this.#server = server;
    this.dir = dir;
    this.path = join(dir, 'kepler.sock');
  }

  static async start(opts: FakeDaemonOptions = {}): Promise<FakeDaemon> {
    const dir = mkdtempSync(join(tmpdir(), 'kepler-proto-'));
    const server = net.createServer();
    const daemon = new FakeDaemon(server, dir);
    server.on('connection', (socket) => daemon.#accept(socket, opts));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(daemon.path, () => resolve());
    });
    return daemon;
  }

  #accept(socket: net.Socket, opts: FakeDaemonOptions): void {
    const conn: FrameConnection = new FrameConnection(
      socket,
      {
        ...opts.handlers,
        onFrame: (frame) => {
          if (frame.kind === 'request' && frame.request.type === 'hello') {
            const hello = opts.hello ?? 'ok';
            if (typeof hello === 'function') hello(conn, frame.id, frame.request);
            else {
              const protocol = hello === 'ok' ? PROTOCOL_VERSION : hello.protocol;
              conn.send({
                kind: 'response',
                id: frame.id,
                ok: true,
                result: { protocol, version: 'test', pid: process.pid },
              });
            }
          } else {
            opts.handlers?.onFrame?.(frame);
            this.received.push({ conn, frame });
          }
          this.waiter.notify();
        },
        onProtocolError: (err) => {
          this.protocolErrors.push(err);
          opts.handlers?.onProtocolError?.(err);
          this.waiter.notify();
        },
        onClose: (err) => {
          this.closedConnections.push(conn);
          opts.handlers?.onClose?.(err);
          this.waiter.notify();
        },
      },
      opts.options,
    );
    this.connections.push(conn);
    this.waiter.notify();
  }

  /** Waits for `n` recorded frames (hello excluded) and returns them. */
  frames(n: number): Promise<Received[]> {
    return this.waiter.until(`${n} frames`, () =>
      this.received.length >= n ? this.received.slice(0, n) : undefined,
    );
  }

  async stop(): Promise<void> {
    for (const c of this.connections) c.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
