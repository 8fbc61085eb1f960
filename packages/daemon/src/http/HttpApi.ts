import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { ConfigRegistry } from '../config/ConfigRegistry.js';
import { type ApiDeps, apiRoutes } from './apiRoutes.js';
import { BoundedWebSocket, GOING_AWAY_CLOSE_CODE } from './BoundedWebSocket.js';
import {
  type ApiCredentials,
  SESSION_PROTOCOL_PREFIX,
  sessionKeyOf,
  sessionProtocolOf,
} from './credentials.js';
import { DaemonEvents } from './DaemonEvents.js';
import { dashboardRoutes } from './dashboardRoutes.js';
import type { HttpOptions } from './httpOptions.js';
import { ApiError, errorResponse, type HandlerAccess } from './invoke.js';
import { OPENAPI_PATH, openApiDocument } from './openapi.js';
import { Params } from './params.js';
import { parseRequestTarget } from './requestTarget.js';
import { type Route, type RouteCall, RouteTable } from './routeTable.js';
import { usageRoutes } from './usageRoutes.js';

/** The largest request body read (JSON bodies are a few hundred bytes). */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Connections the HTTP server holds at once (WebSockets included); more are refused by the kernel's backlog. */
export const MAX_HTTP_CONNECTIONS = 1024;
/** A client must send its request headers within this. */
export const HEADERS_TIMEOUT_MS = 10_000;
/** A client must send its whole request (body included) within this. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** The largest message a WebSocket client may send (the streams expect none). */
export const MAX_WS_MESSAGE_BYTES = 4096;
/** The close code of a stream whose browser session expired (4000-4999: the application's own). */
export const SESSION_EXPIRED_CLOSE = 4401;

export interface HttpApiOptions {
  readonly access: HandlerAccess;
  readonly registry: ConfigRegistry;
  readonly credentials: ApiCredentials;
  /** Bytes a WebSocket client may leave unread before it is dropped. */
  readonly wsBufferBytes: number;
  /** For lines about clients turned away (throttled). */
  readonly logLimit: (line: string) => void;
  /** Requests wait for this (the daemon restoring its configs), as socket clients do. */
  readonly ready: Promise<void>;
}

/**
 * The daemon's HTTP server: the JSON API under /api/v1/ and its WebSocket streams, provisr's aliases,
 * the OpenAPI document and the dashboard, all from one route table. It owns no operation: the routes
 * call the socket's handlers (`invoke.ts`).
 */
export class HttpApi {
  readonly routes: RouteTable;
  private readonly server: Server;
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_WS_MESSAGE_BYTES,
    // The page's session subprotocol must be selected or its browser fails the handshake; any other
    // client gets ws's default (the first it offers).
    handleProtocols: (protocols) => {
      const key = sessionProtocolOf(protocols);
      return key === null ? (protocols.values().next().value ?? false) : `${SESSION_PROTOCOL_PREFIX}${key}`;
    },
  });

  constructor(private readonly opts: HttpApiOptions) {
    const deps: ApiDeps = {
      access: opts.access,
      registry: opts.registry,
      events: new DaemonEvents(opts.registry),
    };
    this.routes = new RouteTable([
      ...apiRoutes(deps),
      ...dashboardRoutes(opts.credentials),
      ...usageRoutes(opts.access, opts.registry),
      {
        method: 'GET',
        path: OPENAPI_PATH,
        doc: {
          summary: 'This document',
          responses: {
            '200': { description: 'OpenAPI 3.0', schema: { type: 'object' } },
            '400': { description: 'A field it does not take (it takes none)' },
          },
        },
        json: async () => openApiDocument(this.routes.all()),
      },
    ]);
    this.server = createServer((req, res) => void opts.ready.then(() => this.onRequest(req, res)));
    this.server.headersTimeout = HEADERS_TIMEOUT_MS;
    this.server.requestTimeout = REQUEST_TIMEOUT_MS;
    this.server.maxConnections = MAX_HTTP_CONNECTIONS;
    this.server.on('upgrade', (req, socket, head) => {
      socket.on('error', () => undefined);
      void opts.ready.then(() => this.onUpgrade(req, socket, head));
    });
    // A request Node cannot parse gets its status (400, or 431 for headers past 16 KiB), as Node's
    // own default does, rather than a connection reset with no answer.
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
      if (!socket.writable) {
        socket.destroy();
        return;
      }
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
      socket.end(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
      );
    });
  }

  /** Listens; resolves with the base URL (the port filled in when 0 was asked). */
  listen(options: HttpOptions): Promise<string> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(options.port, options.host, () => {
        this.server.off('error', reject);
        const addr = this.server.address();
        const port = typeof addr === 'object' && addr ? addr.port : options.port;
        const host = options.host.includes(':') ? `[${options.host}]` : options.host;
        resolve(`http://${host}:${port}`);
      });
    });
  }

  /** Stops listening and ends every WebSocket ("going away"). */
  close(): void {
    this.server.close();
    for (const ws of this.wss.clients) ws.close(GOING_AWAY_CLOSE_CODE, 'the daemon is stopping');
    this.server.closeIdleConnections();
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = parseRequestTarget(req.url);
    let route: Route | undefined;
    try {
      route = this.route(req.method ?? 'GET', target.path);
      this.authorize(route, req);
      if (!route.json && !route.page) {
        throw new ApiError(426, 'BAD_REQUEST', `${route.path} is a WebSocket: send an Upgrade request`);
      }
      const body = req.method === 'POST' ? await readJsonBody(req) : {};
      const gone = new Promise<void>((resolve) => res.once('close', () => resolve()));
      const call: RouteCall = { params: new Params(target.query, body), req, gone };
      if (route.json) call.params.checkKnown(documentedFields(route), `${route.method} ${route.path}`);
      if (route.page) {
        await route.page(call, res);
        return;
      }
      sendJson(res, 200, await route.json!(call));
    } catch (e) {
      const { status, body } = errorResponse(e, this.opts.access.log);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      for (const [name, value] of Object.entries(this.refusalHeaders(status, target.path))) {
        res.setHeader(name, value);
      }
      sendJson(res, status, body);
    }
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const target = parseRequestTarget(req.url);
    try {
      const route = this.route(req.method ?? 'GET', target.path);
      this.authorize(route, req, true);
      if (!route.websocket) throw new ApiError(400, 'BAD_REQUEST', `${route.path} is not a WebSocket`);
      let closed!: () => void;
      const gone = new Promise<void>((resolve) => {
        closed = resolve;
      });
      const params = new Params(target.query);
      params.checkKnown(documentedFields(route), `${route.path} (WebSocket)`);
      const start = route.websocket({ params, req, gone });
      // A stream opened with a browser session ends with the session (a bearer's lasts).
      const sessionLeftMs = this.opts.credentials.checkBearer(req.headers.authorization)
        ? null
        : this.opts.credentials.sessionLeftMs(sessionKeyOf(req.headers, true));
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        const bounded = new BoundedWebSocket(ws, this.opts.wsBufferBytes, this.opts.logLimit);
        void bounded.closed.then(closed);
        if (sessionLeftMs !== null) {
          const expiry = setTimeout(() => ws.close(SESSION_EXPIRED_CLOSE, 'session expired'), sessionLeftMs);
          void bounded.closed.then(() => clearTimeout(expiry));
        }
        start(bounded);
      });
    } catch (e) {
      const { status, body } = errorResponse(e, this.opts.access.log);
      const text = JSON.stringify(body);
      const headers = Object.entries(this.refusalHeaders(status, target.path))
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('');
      socket.end(
        `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n${headers}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
      );
    }
  }

  /**
   * The headers a refusal carries beside its `{code, message}`, for a JSON answer and a refused
   * WebSocket upgrade alike: 401 says how to authenticate, 405 which methods the path takes, 426 which
   * protocol to upgrade to (RFC 9110 requires the Upgrade header there).
   */
  private refusalHeaders(status: number, path: string): Record<string, string> {
    if (status === 401) return { 'WWW-Authenticate': 'Bearer realm="kepler"' };
    if (status === 405) return { Allow: this.routes.methodsOf(path).join(', ') };
    if (status === 426) return { Upgrade: 'websocket' };
    return {};
  }

  private route(method: string, path: string): Route {
    const route = this.routes.find(method, path);
    if (route) return route;
    if (this.routes.methodsOf(path).length > 0) {
      throw new ApiError(405, 'BAD_REQUEST', `${method} is not allowed on ${path}`);
    }
    throw new ApiError(404, 'BAD_REQUEST', `no route ${path} (see ${OPENAPI_PATH})`);
  }

  /**
   * The bearer token, or a browser session where the route accepts one: its key in a header (or a
   * WebSocket subprotocol), never a cookie, so nothing the browser sends on its own (to this port or
   * another) authenticates. A session request that changes something (POST) or opens a stream must
   * also come from the daemon's own page (its Origin is this host).
   */
  private authorize(route: Route, req: IncomingMessage, upgrade = false): void {
    const auth = route.auth ?? 'any';
    if (auth === 'none') return;
    if (this.opts.credentials.checkBearer(req.headers.authorization)) return;
    if (auth === 'any' && this.opts.credentials.checkSession(sessionKeyOf(req.headers, upgrade))) {
      if ((req.method === 'POST' || upgrade) && !sameOrigin(req)) {
        throw new ApiError(403, 'PERMISSION_DENIED', 'a session request from another origin');
      }
      return;
    }
    throw new ApiError(
      401,
      'PERMISSION_DENIED',
      'missing or wrong token: send `Authorization: Bearer <token>` (the token is `http.token` in the state directory), or open `kepler dashboard`',
    );
  }
}

/** The fields a route takes: its documented query parameters and body fields. */
function documentedFields(route: Route): string[] {
  return [...Object.keys(route.doc.query ?? {}), ...Object.keys(route.doc.body ?? {})];
}

function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  return origin !== undefined && origin === `http://${req.headers.host}`;
}

/** The JSON body as an object (an empty body is `{}`); 400 for anything else, 413 past the cap. */
async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Past the cap the rest is read and dropped (within REQUEST_TIMEOUT_MS), so the client gets its 413.
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk as Buffer);
  }
  if (size > MAX_BODY_BYTES)
    throw new ApiError(413, 'BAD_REQUEST', `body: larger than ${MAX_BODY_BYTES} bytes`);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ApiError(400, 'BAD_REQUEST', `body: not JSON (${(e as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ApiError(400, 'BAD_REQUEST', 'body: expected a JSON object');
  }
  return value as Record<string, unknown>;
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}
