/**
 * Test helpers for the CLI's command tests (excluded from the build): a scripted daemon on a real Unix
 * socket in a temporary state directory, and `run()`, which runs the CLI in-process with captured
 * output. The daemon answers hello itself; every other request goes to the test's `handle` function,
 * which answers through `reply` (events, then a result or an error).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import {
  FrameConnection,
  PROTOCOL_VERSION,
  type Request,
  type RequestType,
  type ResultOf,
  type StreamEvent,
  socketPath,
  type WireError,
} from '@kepler/protocol';
import { dispatchCli } from '../dispatch.js';

/** How a scripted handler answers one request. */
export interface Reply {
  event(event: StreamEvent): void;
  result<T extends RequestType>(result: ResultOf[T]): void;
  error(error: WireError): void;
}

export type Handler = (request: Request, reply: Reply, cancelled: Promise<void>) => void | Promise<void>;

export class FakeDaemon {
  readonly requests: Request[] = [];
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    readonly stateDir: string,
  ) {}

  /** Starts a daemon in a fresh state directory; `handle` answers every request but hello. */
  static async start(handle: Handler): Promise<FakeDaemon> {
    const stateDir = mkdtempSync(join(tmpdir(), 'kepler-cli-test-'));
    const server = net.createServer();
    const daemon = new FakeDaemon(server, stateDir);
    server.on('connection', (socket) => daemon.accept(socket, handle));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath(stateDir), () => resolve());
    });
    return daemon;
  }

  private accept(socket: net.Socket, handle: Handler): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    const cancels = new Map<number, () => void>();
    const conn: FrameConnection = new FrameConnection(socket, {
      onFrame: (frame) => {
        if (frame.kind === 'cancel') {
          cancels.get(frame.id)?.();
          return;
        }
        const { id, request } = frame;
        if (request.type === 'hello') {
          conn.send({
            kind: 'response',
            id,
            ok: true,
            result: { protocol: PROTOCOL_VERSION, version: 'test', pid: 4242 },
          });
          return;
        }
        this.requests.push(request);
        const cancelled = new Promise<void>((resolve) => cancels.set(id, resolve));
        const reply: Reply = {
          event: (event) => conn.send({ kind: 'event', id, event }),
          result: (result) => conn.send({ kind: 'response', id, ok: true, result }),
          error: (error) => conn.send({ kind: 'response', id, ok: false, error }),
        };
        void handle(request, reply, cancelled);
      },
    });
  }

  /** Closes every connection (a client left waiting must not keep the server open) and the server. */
  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.stateDir, { recursive: true, force: true });
  }
}

/** What `run` captured. */
export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly stdoutBytes: Buffer;
}

/** Runs the CLI in-process as the executable does (`dispatchCli`) with `env` and captures stdout and stderr. */
export async function run(
  argv: readonly string[],
  env: Record<string, string | undefined> = {},
): Promise<RunResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const code = await dispatchCli(argv, {
    // No command started here may start a real daemon unless the test asks (KEPLER_NO_AUTOSTART: '').
    env: { PATH: process.env.PATH, KEPLER_NO_AUTOSTART: '1', ...env },
    stdout,
    stderr,
    colorDepth: 1,
  });
  // PassThrough delivers 'data' on a later tick: let it drain before reading.
  await new Promise((resolve) => setImmediate(resolve));
  const stdoutBytes = Buffer.concat(out);
  return { code, stdout: stdoutBytes.toString(), stderr: Buffer.concat(err).toString(), stdoutBytes };
}
