/** What a service's `ps` row says of its network (issue 15); ServiceInfo extends it. */
export interface ServiceNetwork {
  /** The TCP port the service was given at its last start (`port:` in its config); absent: none. */
  readonly port?: number;
  /** `http://web.localhost:7380`: its hostname through the daemon's reverse proxy; absent: none. */
  readonly url?: string;
}
