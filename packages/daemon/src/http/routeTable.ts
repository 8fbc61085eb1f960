import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BoundedWebSocket } from './BoundedWebSocket.js';
import type { Params } from './params.js';

/**
 * Who may call a route: `any` (the bearer token or a browser session), `bearer` (the token only:
 * what mints browser sessions), `none` (the login link, which takes a one-time code instead, and the
 * dashboard's static page and assets, which hold no data).
 */
export type RouteAuth = 'any' | 'bearer' | 'none';

/** One HTTP request as a route sees it. */
export interface RouteCall {
  readonly params: Params;
  readonly req: IncomingMessage;
  /** Resolves when the client goes away (its request closes, or its WebSocket). */
  readonly gone: Promise<void>;
}

/** A JSON Schema fragment, as OpenAPI 3.0 writes them. */
export type Schema = Readonly<Record<string, unknown>>;

/** What the OpenAPI document says of a route (`openapi.ts` assembles them). */
export interface RouteDoc {
  readonly summary: string;
  readonly description?: string;
  /** Query parameters: name -> schema and description. */
  readonly query?: Readonly<Record<string, { schema: Schema; description: string }>>;
  /** The JSON body's fields (POST): name -> schema and description. */
  readonly body?: Readonly<Record<string, { schema: Schema; description: string }>>;
  /** Status -> description and, for JSON answers, the schema (HTML answers: `html: true`). */
  readonly responses: Readonly<Record<string, { description: string; schema?: Schema; html?: boolean }>>;
}

/**
 * One route of the router: a method and an exact path, what it is documented as, and how it answers:
 * `json` (the value is sent as JSON with 200), `page` (writes its own response: HTML, assets, a
 * redirect) or `websocket` (the request upgrades; the route streams JSON messages). A path may have
 * `json` and `websocket` both (`/api/v1/logs`: stored lines, or a follow).
 */
export interface Route {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly auth?: RouteAuth;
  readonly doc: RouteDoc;
  readonly json?: (call: RouteCall) => Promise<unknown>;
  readonly page?: (call: RouteCall, res: ServerResponse) => void | Promise<void>;
  /**
   * Checks the request before the upgrade (a bad field answers 400, as for JSON routes) and returns
   * what runs on the upgraded socket; `call.gone` resolves when it closes.
   */
  readonly websocket?: (call: RouteCall) => (socket: BoundedWebSocket) => void;
}

/** Routes by `METHOD path`; a duplicate is a bug, refused here. */
export class RouteTable {
  private readonly byKey = new Map<string, Route>();

  constructor(routes: readonly Route[]) {
    for (const r of routes) this.add(r);
  }

  /** Adds a route (another folder's, e.g. `/metrics`). */
  add(route: Route): void {
    const key = `${route.method} ${route.path}`;
    if (this.byKey.has(key)) throw new Error(`route ${key} is defined twice`);
    this.byKey.set(key, route);
  }

  find(method: string, path: string): Route | undefined {
    return this.byKey.get(`${method === 'HEAD' ? 'GET' : method} ${path}`);
  }

  /** The methods a path answers (for 405's Allow header); empty: no such path. */
  methodsOf(path: string): string[] {
    return this.all()
      .filter((r) => r.path === path)
      .map((r) => r.method);
  }

  all(): Route[] {
    return [...this.byKey.values()];
  }
}
