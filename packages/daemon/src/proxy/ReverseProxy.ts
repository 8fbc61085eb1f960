import {
  Agent,
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import { connect, type Socket } from 'node:net';
import { PENDING_OR_ACTIVE_STATUSES, STARTED_STATUSES } from '@kepler/protocol';
import { page, rawPage, STARTING_RETRY_AFTER_S, unknownHostBody } from './pages.js';
import type { ProxyAddress } from './proxyAddress.js';
import type { RouteInfo, RouteTable } from './routeTable.js';

/** Idle time before a client's keep-alive connection is closed (nginx's default is 75 s). */
const CLIENT_KEEP_ALIVE_MS = 65_000;
/** Idle keep-alive sockets kept per backend port. */
const MAX_FREE_SOCKETS_PER_BACKEND = 256;

/** Headers that describe one hop, not the message: never forwarded (RFC 9110 7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

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
  private readonly agents = new Map<number, Agent>();

  constructor(
    private readonly routes: RouteTable,
    private readonly address: ProxyAddress,
  ) {}

  /** Listens; resolves with the port, or rejects with why it cannot. */
  listen(): Promise<number> {
    const server = createServer({ requestTimeout: 0, keepAliveTimeout: CLIENT_KEEP_ALIVE_MS });
    server.on('request', (req, res) => this.onRequest(req, res));
    server.on('upgrade', (req, socket: Socket, head: Buffer) => this.onUpgrade(req, socket, head));
    server.on('clientError', (_err, socket: Socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
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
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
    if (server === null) return Promise.resolve();
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
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
    const routed = this.routeOf(req.headers.host);
    if ('refuse' in routed) {
      req.resume(); // the body is not wanted: drain it so the connection stays usable
      routed.refuse(res);
      return;
    }
    const { route, port } = routed;
    const upstream = request({
      host: '127.0.0.1',
      port,
      method: req.method,
      path: req.url,
      headers: forwardedHeaders(req),
      agent: this.agentFor(port),
    });
    upstream.on('response', (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, endToEnd(answer.headers));
      answer.pipe(res);
      answer.on('error', () => res.destroy());
    });
    upstream.on('error', (err) => {
      const cause = (err as NodeJS.ErrnoException).code ?? err.message;
      page(
        res,
        502,
        `kepler: service ${route.service} of ${route.config} did not answer on port ${port} (${cause})`,
      );
    });
    // The client went away before the answer was complete: do not keep the backend busy for nobody.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    const h = req.headers;
    if (h['content-length'] === undefined && h['transfer-encoding'] === undefined) upstream.end();
    else req.pipe(upstream);
  }

  /** An `Upgrade` request (WebSocket): the request goes to the backend as written, then bytes flow both ways. */
  private onUpgrade(req: IncomingMessage, client: Socket, head: Buffer): void {
    const routed = this.routeOf(req.headers.host);
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
      const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
      const raw = req.rawHeaders;
      for (let i = 0; i < raw.length; i += 2) {
        if (!raw[i]!.toLowerCase().startsWith('x-forwarded-')) lines.push(`${raw[i]}: ${raw[i + 1]}`);
      }
      for (const [k, v] of Object.entries(forwardingOf(req))) lines.push(`${k}: ${v}`);
      backend.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) backend.write(head);
      backend.pipe(client);
      client.pipe(backend);
    });
  }
}

/** `web.localhost:7380` -> `web.localhost` (lower case, no trailing dot). */
export function hostOnly(host: string): string {
  const h = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d*$/, '');
  return h.toLowerCase().replace(/\.$/, '');
}

/** X-Forwarded-For (appended to), -Host and -Proto. */
function forwardingOf(req: IncomingMessage): Record<string, string> {
  const h = req.headers;
  const client = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  const prior = h['x-forwarded-for'];
  return {
    'x-forwarded-for': prior ? `${prior}, ${client}` : client,
    'x-forwarded-host': String(h['x-forwarded-host'] ?? h.host ?? ''),
    'x-forwarded-proto': String(h['x-forwarded-proto'] ?? 'http'),
  };
}

/** The request's headers without hop-by-hop ones (and those its Connection names), plus X-Forwarded-*. */
function forwardedHeaders(req: IncomingMessage): OutgoingHttpHeaders {
  return Object.assign(endToEnd(req.headers), forwardingOf(req));
}

/** The headers without hop-by-hop ones and those the Connection header names. */
function endToEnd(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  const named = connectionTokens(headers.connection);
  for (const k in headers) {
    const v = headers[k];
    if (v !== undefined && !HOP_BY_HOP.has(k) && (named === null || !named.has(k))) out[k] = v;
  }
  return out;
}

function connectionTokens(value: string | undefined): Set<string> | null {
  if (value === undefined || value === 'keep-alive' || value === 'close') return null;
  return new Set(value.split(',').map((t) => t.trim().toLowerCase()));
}
