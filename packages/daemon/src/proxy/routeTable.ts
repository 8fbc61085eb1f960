import type { ServiceStatus } from '@kepler/protocol';
import { proxyUrl } from '../ports/index.js';

/** A hostname's route as the proxy thread knows it: a copy, sent again after every change. */
export interface RouteInfo {
  readonly hostname: string;
  readonly config: string;
  readonly service: string;
  readonly status: ServiceStatus;
  /** The port the service was given at its last start; null before the first. */
  readonly port: number | null;
}

/** What the daemon's thread sends the proxy's thread. */
export type ToProxy = {
  readonly type: 'routes';
  readonly routes: readonly RouteInfo[];
  readonly urlPort: number;
};

/** What the proxy's thread answers. */
export type FromProxy =
  | { readonly type: 'listening'; readonly port: number }
  | { readonly type: 'error'; readonly message: string }
  /** A line for the daemon's log (an error the proxy survived). */
  | { readonly type: 'log'; readonly line: string };

/** The routes by hostname, and their URLs on the proxy. */
export class RouteTable {
  private byHost = new Map<string, RouteInfo>();
  private urlPort = 0;

  /** Replaces every route (a `routes` message). */
  replace(routes: readonly RouteInfo[], urlPort: number): void {
    this.byHost = new Map(routes.map((r) => [r.hostname, r]));
    this.urlPort = urlPort;
  }

  route(hostname: string): RouteInfo | undefined {
    return this.byHost.get(hostname);
  }

  all(): RouteInfo[] {
    return [...this.byHost.values()];
  }

  /** `http://web.localhost:7380` (see proxyUrl). */
  urlOf(hostname: string): string {
    return proxyUrl(hostname, this.urlPort);
  }
}
