import type { ServiceStatus } from '@kepler/protocol';

/** A service as the ports room names it: its config's canonical path and its name. */
export interface ServiceRef {
  readonly config: string;
  readonly service: string;
}

/** What the proxy needs of a routed service, read at each request. */
export interface RouteTarget {
  readonly status: ServiceStatus;
  /** The port it was given at its last start; null before the first. */
  readonly port: number | null;
}

/** A hostname claimed by a service: the reverse proxy sends its requests to `target().port`. */
export interface Route extends ServiceRef {
  readonly hostname: string;
  target(): RouteTarget;
}

/** The reverse proxy's port unless the daemon is told another (`--proxy`, KEPLER_PROXY_ADDR). */
export const DEFAULT_PROXY_PORT = 7380;

/** `http://web.localhost:7380`: the URL of `hostname` through a proxy on `proxyPort` (no port shown for 80). */
export function proxyUrl(hostname: string, proxyPort: number): string {
  return `http://${hostname}${proxyPort === 80 ? '' : `:${proxyPort}`}`;
}

const keyOf = (ref: ServiceRef): string => `${ref.config}\0${ref.service}`;

/**
 * The daemon's one book of ports and host names, shared by every config: which service holds which
 * port (so `auto` ports of two configs never collide, even before their services listen), which
 * service a hostname routes to (the first start to claim it wins until its config is removed), and
 * which loaded configs declare a hostname (the proxy listens only while one does). Pure bookkeeping:
 * no sockets.
 */
export class PortBook {
  private readonly portOwners = new Map<number, string>();
  private readonly portsByOwner = new Map<string, number>();
  private readonly routes = new Map<string, Route>();
  private readonly declaring = new Map<string, ReadonlySet<string>>();
  private readonly listeners = new Set<() => void>();
  /** The port the reverse proxy listens on (or will): the port of every route's URL. */
  proxyPort: number = DEFAULT_PROXY_PORT;
  /** Why the reverse proxy cannot listen (set by the proxy's host), or null: routes' URLs work. */
  proxyProblem: string | null = null;
  /** Names the service behind a KEPLER_SERVICE_ID value (set by the config registry). */
  describeServiceId: (serviceId: string) => ServiceRef | null = () => null;

  /** Records `port` as the service's (replacing the one it had). */
  reserve(ref: ServiceRef, port: number): void {
    const key = keyOf(ref);
    const old = this.portsByOwner.get(key);
    if (old !== undefined && this.portOwners.get(old) === key) this.portOwners.delete(old);
    this.portOwners.set(port, key);
    this.portsByOwner.set(key, port);
  }

  /** Whether another service holds `port` in the book (it may not listen right now). */
  reservedByOther(port: number, ref: ServiceRef): boolean {
    const owner = this.portOwners.get(port);
    return owner !== undefined && owner !== keyOf(ref);
  }

  /** Claims `route.hostname` for its service; returns the service that holds it instead, or null. */
  claim(route: Route): ServiceRef | null {
    const held = this.routes.get(route.hostname);
    if (held && keyOf(held) !== keyOf(route)) return held;
    this.routes.set(route.hostname, route);
    if (!held) this.changed();
    return null;
  }

  /** `http://web.localhost:7380`: the URL of a hostname through the proxy (no port shown for 80). */
  urlOf(hostname: string): string {
    return proxyUrl(hostname, this.proxyPort);
  }

  /** The route of `hostname` (lower case, no port), or undefined. */
  route(hostname: string): Route | undefined {
    return this.routes.get(hostname);
  }

  /** Every claimed route, sorted by hostname. */
  allRoutes(): Route[] {
    return [...this.routes.values()].sort((a, b) => a.hostname.localeCompare(b.hostname));
  }

  /**
   * A config was loaded or given a new snapshot: `hostnames` maps each of its services to the hostname
   * it declares. Claims its services no longer make are dropped. Null: the config is gone (its ports
   * and claims are released).
   */
  syncConfig(config: string, hostnames: ReadonlyMap<string, string> | null): void {
    for (const [hostname, route] of this.routes) {
      if (route.config === config && hostnames?.get(route.service) !== hostname) this.routes.delete(hostname);
    }
    if (hostnames === null) {
      for (const [key, port] of this.portsByOwner) {
        if (!key.startsWith(`${config}\0`)) continue;
        this.portsByOwner.delete(key);
        if (this.portOwners.get(port) === key) this.portOwners.delete(port);
      }
    }
    if (hostnames === null || hostnames.size === 0) this.declaring.delete(config);
    else this.declaring.set(config, new Set(hostnames.values()));
    this.changed();
  }

  /** Whether some loaded config declares a hostname (the proxy listens only then). */
  get wantsProxy(): boolean {
    return this.declaring.size > 0;
  }

  /** A routed service changed status or port: the proxy's copy of the routes is sent again. */
  touch(): void {
    if (this.routes.size > 0) this.changed();
  }

  /** Calls `listener` after every change of the routes or of what is declared; returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}
