import type { ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { ResponseParser } from './ResponseParser.js';

/** Idle keep-alive connections kept per backend. */
const MAX_IDLE_PER_BACKEND = 256;

/** How a bodiless request went: answered, or failed before any byte of an answer (the caller says 502). */
export type Outcome = { readonly ok: true } | { readonly ok: false; readonly cause: string };

/**
 * Keep-alive connections to one backend port, and the hot path of the proxy: a request without a body
 * (GET, HEAD, most DELETEs) is written as one string and its answer framed by a small parser
 * (ResponseParser: Content-Length, chunks, or until close) straight into the client's response. Node's
 * HTTP client with an Agent cost ~23 µs per request here, about twice its server side. A request that
 * fails on a reused connection before any answer arrived (the backend closed it while idle) is sent
 * again, on the next idle connection or a new one: it has no body, so sending it twice is what any client would do.
 */
export class BackendPool {
  private readonly idle: Socket[] = [];
  /** The listener that takes an idle connection out of the pool when the backend closes it. */
  private readonly dropOf = new Map<Socket, () => void>();

  constructor(private readonly port: number) {}

  /** Sends `head` (a whole request head ending in a blank line) and streams the answer into `res`. */
  send(head: string, isHead: boolean, res: ServerResponse): Promise<Outcome> {
    return new Promise((resolve) => this.attempt(head, isHead, res, resolve));
  }

  private attempt(head: string, isHead: boolean, res: ServerResponse, done: (o: Outcome) => void): void {
    const reused = this.idle.pop();
    if (reused) this.unpark(reused);
    const socket = reused ?? connect({ host: '127.0.0.1', port: this.port, noDelay: true });
    let received = false;
    let answered = false;
    let finished = false;
    let reusable = false;
    let resume: (() => void) | null = null;
    const parser = new ResponseParser(isHead, {
      head: (status, reason, headers) => {
        res.writeHead(status, reason, headers); // throws on a header Node refuses to send
        answered = true;
      },
      body: (chunk) => {
        if (!res.write(chunk) && resume === null) {
          socket.pause();
          resume = () => {
            resume = null;
            socket.resume();
          };
          res.once('drain', resume);
        }
      },
      end: (again) => {
        finished = true;
        reusable = again;
        res.end();
        done({ ok: true });
      },
    });
    const cleanup = () => {
      socket.off('data', onData).off('end', onEnd).off('close', onEnd).off('error', onError);
      res.off('close', onClientGone);
      if (resume !== null) res.off('drain', resume);
      socket.resume();
    };
    const fail = (cause: string) => {
      if (finished) return;
      finished = true;
      cleanup();
      socket.destroy();
      if (answered) {
        res.destroy();
        done({ ok: true });
      } else if (reused && !received) {
        this.attempt(head, isHead, res, done); // each retry takes another idle one, then a new one
      } else done({ ok: false, cause });
    };
    const onData = (data: Buffer) => {
      received = true;
      let problem: string | null;
      try {
        problem = parser.push(data);
      } catch (err) {
        problem = `a bad answer: ${(err as Error).message}`;
      }
      if (problem !== null && !finished) return fail(problem);
      if (!finished) return;
      cleanup();
      if (problem === null && reusable && this.idle.length < MAX_IDLE_PER_BACKEND) this.park(socket);
      else socket.destroy();
    };
    const onEnd = () => {
      if (finished) return;
      if (!parser.close()) return fail('the connection closed before the answer was complete');
      cleanup();
      socket.destroy();
    };
    const onError = (err: NodeJS.ErrnoException) => fail(err.code ?? err.message);
    // The client went away before the answer was complete: the connection is not reusable.
    const onClientGone = () => fail('the client went away');
    socket.on('data', onData).on('end', onEnd).on('close', onEnd).on('error', onError);
    res.on('close', onClientGone);
    socket.write(head);
  }

  /** Keeps an idle connection; it leaves the pool when the backend closes it. */
  private park(socket: Socket): void {
    const drop = () => {
      this.unpark(socket);
      const i = this.idle.indexOf(socket);
      if (i >= 0) this.idle.splice(i, 1);
      socket.destroy();
    };
    this.dropOf.set(socket, drop);
    socket.on('close', drop).on('error', drop).on('data', drop);
    this.idle.push(socket);
  }

  private unpark(socket: Socket): void {
    const drop = this.dropOf.get(socket);
    if (drop === undefined) return;
    this.dropOf.delete(socket);
    socket.off('close', drop).off('error', drop).off('data', drop);
  }

  /** Closes every idle connection (the route went away, or the proxy stops). */
  destroy(): void {
    for (const socket of this.idle.splice(0)) {
      this.unpark(socket);
      socket.destroy();
    }
  }
}
