import {
  Agent,
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { PENDING_OR_ACTIVE_STATUSES, STARTED_STATUSES } from '@kepler/protocol';
import { BackendPool } from './BackendPool.js';
import { page, rawPage, STARTING_RETRY_AFTER_S, unknownHostBody } from './pages.js';
import type { ProxyAddress } from './proxyAddress.js';
import { HOP_BY_HOP } from './ResponseParser.js';
import type { RouteInfo, RouteTable } from './routeTable.js';
import { awaitUpgradeAnswer } from './upgradeAnswer.js';

/** Idle time before a client's keep-alive connection is closed (nginx's default is 75 s). */
const CLIENT_KEEP_ALIVE_MS = 65_000;
/** Idle keep-alive sockets kept per backend port. */
const MAX_FREE_SOCKETS_PER_BACKEND = 256;

type Routed = { route: RouteInfo; port: number } | { refuse: (res: ServerResponse) => void; raw: string };

/**
 * The daemon's HTTP reverse proxy, one for every config (run in a thread of its own by ProxyHost):
 * routes each request by its Host header to the port of the service that claimed that hostname.
 * Bodies are streamed both ways (no whole body is held), connections to each backend are kept alive
 * in a pool of their own, WebSocket (any `Upgrade`) requests are piped as raw sockets once the
 * backend has the request.
 */
export class ReverseProxy {
  private server: Server | null = null;
  /** Requests with a body go through Node's client (an Agent per backend port)... */
  private readonly agents = new Map<number, Agent>();
  /** ...those without (the hot path) through a pool of our own (BackendPool). */
  private readonly pools = new Map<number, BackendPool>();

  constructor(
    private readonly routes: RouteTable,
    private readonly address: ProxyAddress,
  ) {}

  /** Listens; resolves with the port, or rejects with why it cannot. */
  listen(): Promise<number> {
    const server = createServer({ requestTimeout: 0, keepAliveTimeout: CLIENT_KEEP_ALIVE_MS });
    server.on('request', (req, res) => this.onRequest(req, res));
    server.on('upgrade', (req, socket: Socket, head: Buffer) => this.onUpgrade(req, socket, head));
    // Headers past Node's 16 KiB limit get 431, as Node's default (and a Node backend) answers them.
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
      if (socket.writable)
        socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nconnection: close\r\n\r\n`);
      else socket.destroy();
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.address.host, port: this.address.port }, () => {
        this.server = server;
        const a = server.address();
        resolve(typeof a === 'object' && a !== null ? a.port : this.address.port);
      });
    });
  }

  /** Stops listening and ends every connection. */
  close(): Promise<void> {
    const server = this.server;
    this.server = null;
    this.dropPoolsExcept(new Set());
    if (server === null) return Promise.resolve();
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  /** Ends the keep-alive pools of backend ports no route names any more (a service moved or went). */
  dropPoolsExcept(ports: ReadonlySet<number>): void {
    for (const [port, agent] of this.agents) {
      if (ports.has(port)) continue;
      agent.destroy();
      this.agents.delete(port);
    }
    for (const [port, pool] of this.pools) {
      if (ports.has(port)) continue;
      pool.destroy();
      this.pools.delete(port);
    }
  }

  /** Where a request for `host` goes, or how it is refused (404, 502, 503). */
  private routeOf(hostHeader: string | undefined): Routed {
    const host = hostOnly(hostHeader ?? '');
    const route = this.routes.route(host);
    if (route === undefined) {
      const body = unknownHostBody(hostHeader ?? '', this.routes.all(), (h) => this.routes.urlOf(h));
      return { refuse: (res) => page(res, 404, body), raw: rawPage(404, 'Not Found', body) };
    }
    const { status, port } = route;
    const who = `service ${route.service} of ${route.config}`;
    if (STARTED_STATUSES.has(status) && port !== null) return { route, port };
    if (PENDING_OR_ACTIVE_STATUSES.has(status) && status !== 'stopping') {
      const body = `kepler: ${who} is ${status}; try again shortly`;
      const retry = { 'retry-after': String(STARTING_RETRY_AFTER_S) };
      return {
        refuse: (res) => page(res, 503, body, retry),
        raw: rawPage(503, 'Service Unavailable', body, retry),
      };
    }
    const body = `kepler: ${who} is ${status}`;
    return { refuse: (res) => page(res, 502, body), raw: rawPage(502, 'Bad Gateway', body) };
  }

  private agentFor(port: number): Agent {
    let agent = this.agents.get(port);
    if (agent === undefined) {
      agent = new Agent({
        keepAlive: true,
        maxFreeSockets: MAX_FREE_SOCKETS_PER_BACKEND,
        scheduling: 'lifo',
      });
      this.agents.set(port, agent);
    }
    return agent;
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    // Raw headers in and out: Node builds no header objects on this path.
    const head = requestHead(req);
    const routed = head.hosts > 1 ? twoHosts() : this.routeOf(head.host);
    if ('refuse' in routed) {
      req.resume(); // the body is not wanted: drain it so the connection stays usable
      routed.refuse(res);
      return;
    }
    const { route, port } = routed;
    const refused = (cause: string) =>
      page(
        res,
        502,
        `kepler: service ${route.service} of ${route.config} did not answer on port ${port} (${cause})`,
      );
    if (!head.hasBody) {
      let pool = this.pools.get(port);
      if (pool === undefined) {
        pool = new BackendPool(port);
        this.pools.set(port, pool);
      }
      const text = headText(`${req.method} ${req.url} HTTP/1.1`, head.headers);
      void pool.send(text, req.method === 'HEAD', res).then((o) => {
        if (!o.ok) refused(o.cause);
      });
      return;
    }
    const upstream = request({
      host: '127.0.0.1',
      port,
      method: req.method,
      path: req.url,
      headers: head.headers,
      agent: this.agentFor(port),
    });
    upstream.on('response', (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, endToEnd(answer.rawHeaders));
      forward(answer, res);
      answer.on('error', () => res.destroy());
    });
    upstream.on('error', (err) => refused((err as NodeJS.ErrnoException).code ?? err.message));
    // The client went away before the answer was complete: do not keep the backend busy for nobody.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    forward(req, upstream);
  }

  /** An `Upgrade` request (WebSocket): the request goes to the backend as written, then bytes flow both ways. */
  private onUpgrade(req: IncomingMessage, client: Socket, head: Buffer): void {
    const requested = requestHead(req, true);
    const routed = requested.hosts > 1 ? twoHosts() : this.routeOf(requested.host);
    if ('refuse' in routed) {
      client.end(routed.raw);
      return;
    }
    const backend = connect({ host: '127.0.0.1', port: routed.port });
    backend.setNoDelay(true);
    let connected = false;
    const fail = () => {
      client.destroy();
      backend.destroy();
    };
    backend.on('error', () => {
      if (!connected && client.writable) {
        client.end(rawPage(502, 'Bad Gateway', `kepler: service ${routed.route.service} did not answer`));
      } else fail();
    });
    client.on('error', fail);
    backend.once('connect', () => {
      connected = true;
      backend.write(headText(`${req.method} ${req.url} HTTP/${req.httpVersion}`, requested.headers));
      const send = () => {
        if (head.length > 0) backend.write(head);
        client.pipe(backend);
      };
      // Without a body, nothing the client sends goes on before the backend agrees to switch (101):
      // bytes after a declined upgrade are another request, for whatever its Host routes to.
      if (requested.hasBody) send();
      awaitUpgradeAnswer(backend, client, req.method === 'HEAD', () => {
        if (!requested.hasBody) send();
      });
    });
  }
}

/**
 * A request with more than one Host header is refused (RFC 9112 3.2): which one routes it and which
 * one the backend believes must not differ.
 */
function twoHosts(): Routed {
  const body = 'kepler: a request must have exactly one Host header';
  return { refuse: (res) => page(res, 400, body), raw: rawPage(400, 'Bad Request', body) };
}

/** `web.localhost:7380` -> `web.localhost` (lower case, no trailing dot). */
export function hostOnly(host: string): string {
  const h = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d*$/, '');
  return h.toLowerCase().replace(/\.$/, '');
}

/** What the backend gets of a request's head, and what routing needs of it. */
interface RequestHead {
  readonly host: string;
  /** Host headers in the request (more than one is refused). */
  readonly hosts: number;
  /** Content-Length or Transfer-Encoding: a body follows (without either there is none). */
  readonly hasBody: boolean;
  /**
   * Raw `[name, value, ...]`: end-to-end headers as written (every header but X-Forwarded-* for an
   * upgrade, which keeps Connection and Upgrade), then X-Forwarded-For (appended to), -Host and -Proto.
   * -Host and -Proto are always this hop's (the request's Host, plain http), as nginx's `$host` and
   * `$scheme`: a client's own would let it pose to the service as https or as another host.
   */
  readonly headers: string[];
}

function requestHead(req: IncomingMessage, upgrade = false): RequestHead {
  const raw = req.rawHeaders;
  let host = '';
  let hosts = 0;
  let hasBody = false;
  let forwardedFor: string | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const value = raw[i + 1] as string;
    if (name === 'host') {
      host = value;
      hosts++;
    } else if (name === 'content-length' || name === 'transfer-encoding') hasBody = true;
    else if (name === 'x-forwarded-for')
      forwardedFor = forwardedFor === null ? value : `${forwardedFor}, ${value}`;
  }
  const client = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  const headers = upgrade ? withoutForwarded(raw) : endToEnd(raw, true);
  headers.push(
    'X-Forwarded-For',
    forwardedFor === null ? client : `${forwardedFor}, ${client}`,
    'X-Forwarded-Host',
    host,
    'X-Forwarded-Proto',
    'http',
  );
  return { host, hosts, hasBody, headers };
}

/** A request head as written to a backend: the request line, the raw headers, a blank line. */
function headText(requestLine: string, headers: readonly string[]): string {
  let text = `${requestLine}\r\n`;
  for (let i = 0; i < headers.length; i += 2) text += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return `${text}\r\n`;
}

/** Raw headers without X-Forwarded-* (an upgrade's: its hop-by-hop ones go on to the backend). */
function withoutForwarded(raw: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    if (!(raw[i] as string).toLowerCase().startsWith('x-forwarded-'))
      out.push(raw[i] as string, raw[i + 1] as string);
  }
  return out;
}

/**
 * Raw headers without hop-by-hop ones and those the Connection header names (and, for a request
 * going on, without X-Forwarded-*, which requestHead writes afresh).
 */
function endToEnd(raw: readonly string[], dropForwarded = false): string[] {
  let named: Set<string> | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    if ((raw[i] as string).toLowerCase() !== 'connection') continue;
    const value = (raw[i + 1] as string).toLowerCase();
    if (value !== 'keep-alive' && value !== 'close') {
      named ??= new Set();
      for (const token of value.split(',')) named.add(token.trim());
    }
  }
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    if (HOP_BY_HOP.has(name) || named?.has(name)) continue;
    if (dropForwarded && name.startsWith('x-forwarded-')) continue;
    out.push(raw[i] as string, raw[i + 1] as string);
  }
  return out;
}

/** Copies a body as it comes, pausing the source while the destination is full (pipe, fewer listeners). */
function forward(from: Readable, to: Writable): void {
  from.on('data', (chunk: Buffer) => {
    if (!to.write(chunk)) {
      from.pause();
      to.once('drain', () => from.resume());
    }
  });
  from.on('end', () => to.end());
}
