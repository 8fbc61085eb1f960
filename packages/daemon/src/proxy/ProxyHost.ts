import { setFlagsFromString } from 'node:v8';
import type { Worker } from 'node:worker_threads';
import type { PortBook } from '../ports/index.js';
import type { ProxyAddress } from './proxyAddress.js';
import type { FromProxy, RouteInfo, ToProxy } from './routeTable.js';

/**
 * Semi-space of the proxy thread's young generation. The daemon runs with --max-semi-space-size=1
 * (main.ts), a process-wide V8 flag that a Worker's resourceLimits cannot override; with it the proxy
 * spent ~22% of its time in scavenges (1,008 ms of 4,622 busy under wrk), with 16 MiB ~8% (257 of
 * 3,252) and ~20% more requests/s. The flag is raised while the worker's isolate is created and set
 * back once it is online: heaps read it only when they are made, so the main thread keeps its own.
 */
const PROXY_SEMI_SPACE_MB = 16;
/** After the proxy could not listen (its port taken), how long before a change tries again. */
const LISTEN_RETRY_MS = 10_000;

/** The daemon's own value (`--max-semi-space-size=N` among its flags; 0: V8's default). */
const OWN_SEMI_SPACE_MB = Number(/--max-semi-space-size=(\d+)/.exec(process.execArgv.join(' '))?.[1] ?? '0');

/**
 * Runs the reverse proxy (ReverseProxy in dist/proxyWorker.js, a thread of its own) while some loaded
 * config declares a hostname, and sends it the routes (hostname, service, status, port) after every
 * change the PortBook reports, coalesced to one message per event-loop turn. A proxy that cannot
 * listen is logged and tried again at a change at least LISTEN_RETRY_MS later.
 */
export class ProxyHost {
  private worker: Worker | null = null;
  private sendQueued = false;
  /** Not before this time (ms) is the worker started again after it could not listen. */
  private retryAt = 0;

  constructor(
    private readonly book: PortBook,
    private readonly address: ProxyAddress,
    private readonly log: (line: string) => void,
    /** node:worker_threads' Worker, imported at start-up by the caller (see startupImports). */
    private readonly WorkerClass: typeof Worker,
  ) {
    book.proxyPort = address.port;
    book.onChange(() => this.changed());
  }

  private changed(): void {
    if (this.book.wantsProxy && this.worker === null && Date.now() >= this.retryAt) this.start();
    else if (!this.book.wantsProxy && this.worker !== null) void this.close();
    if (this.worker === null || this.sendQueued) return;
    this.sendQueued = true;
    setImmediate(() => {
      this.sendQueued = false;
      this.send();
    });
  }

  private start(): void {
    setFlagsFromString(`--max-semi-space-size=${PROXY_SEMI_SPACE_MB}`);
    const worker = new this.WorkerClass(new URL('./proxyWorker.js', import.meta.url), {
      workerData: this.address,
    });
    const restore = () => setFlagsFromString(`--max-semi-space-size=${OWN_SEMI_SPACE_MB}`);
    worker.once('online', restore);
    worker.once('exit', restore);
    this.worker = worker;
    worker.on('message', (message: FromProxy) => {
      if (message.type === 'log') {
        this.log(message.line);
        return;
      }
      if (message.type === 'listening') {
        this.book.proxyPort = message.port;
        this.book.proxyProblem = null;
        this.log(`reverse proxy listening on ${this.address.host}:${message.port}`);
        this.send();
        return;
      }
      const problem = `reverse proxy: cannot listen on ${this.address.host}:${this.address.port}: ${message.message}`;
      this.book.proxyProblem = problem;
      this.log(`${problem} (tried again at a change after ${LISTEN_RETRY_MS / 1000} s)`);
      this.retryAt = Date.now() + LISTEN_RETRY_MS;
      if (this.worker === worker) this.worker = null;
      void worker.terminate();
    });
    worker.on('error', (err) => this.log(`reverse proxy failed: ${err.stack ?? err.message}`));
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = null;
    });
    this.send();
  }

  private send(): void {
    const routes: RouteInfo[] = this.book.allRoutes().map((r) => {
      const { status, port } = r.target();
      return { hostname: r.hostname, config: r.config, service: r.service, status, port };
    });
    const message: ToProxy = { type: 'routes', routes, urlPort: this.book.proxyPort };
    this.worker?.postMessage(message);
  }

  /** Ends the proxy's thread (no config declares a hostname, or daemon exit). */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    await worker?.terminate();
  }
}
