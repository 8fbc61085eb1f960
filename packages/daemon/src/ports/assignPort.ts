import { createServer } from 'node:net';
import type { BakedService } from '@kepler/config';
import type { PortHolder } from '../platform/index.js';
import type { PortBook, Route, RouteTarget, ServiceRef } from './PortBook.js';

/** Tries at allocating an `auto` port before giving up (each one the OS says is free). */
const AUTO_PORT_ATTEMPTS = 20;
/** Longest command line quoted in a holder message. */
const HOLDER_COMMAND_MAX_CHARS = 80;

/** What assignPort decided: the port to give the service (null: it has none), or why it must not start. */
export type PortAssignment = { readonly port: number | null } | { readonly refusal: string };

/** What assignPort needs besides the service's definition. */
export interface AssignInput {
  readonly spec: BakedService;
  readonly ref: ServiceRef;
  /** The port of its last start (kept for `auto` while it stays free), or null. */
  readonly previous: number | null;
  readonly book: PortBook;
  readonly findPortHolders: (port: number) => PortHolder[] | null;
  /** The service's state, read by the proxy at each request. */
  readonly target: () => RouteTarget;
}

/**
 * Before a launch: claims the service's hostname, then gives it its port. A fixed port held by a
 * listening socket refuses the start at once, naming the holder; `auto` keeps the last port while no
 * one listens on it and no other service has it in the book, else takes a new free one from the OS.
 */
export async function assignPort(input: AssignInput): Promise<PortAssignment> {
  const { spec, ref, book } = input;
  if (spec.hostname !== undefined) {
    const route: Route = { ...ref, hostname: spec.hostname, target: input.target };
    const holder = book.claim(route);
    if (holder !== null) {
      return {
        refusal: `hostname ${spec.hostname} is already routed to service ${holder.service} of ${holder.config}`,
      };
    }
  }
  if (spec.port === undefined) return { port: null };
  if (spec.port !== 'auto') {
    const holders = input.findPortHolders(spec.port);
    if (holders !== null) return { refusal: holderMessage(spec.port, holders, book) };
    book.reserve(ref, spec.port);
    return { port: spec.port };
  }
  const previous = input.previous;
  if (previous !== null && !book.reservedByOther(previous, ref) && input.findPortHolders(previous) === null) {
    book.reserve(ref, previous);
    return { port: previous };
  }
  for (let i = 0; i < AUTO_PORT_ATTEMPTS; i++) {
    const port = await freePortFromOs();
    // Reserved in the same turn the OS named it: a concurrent allocation that gets it too retries.
    if (book.reservedByOther(port, ref)) continue;
    book.reserve(ref, port);
    return { port };
  }
  return { refusal: `no free port found for port: auto after ${AUTO_PORT_ATTEMPTS} tries` };
}

/** A port the OS calls free on 127.0.0.1 (bound to port 0, read, closed). */
export function freePortFromOs(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port from the OS'))));
    });
  });
}

/**
 * `port 8080 is in use by pid 4242 (python3 -m http.server 8080), not started by Kepler`, or
 * `..., started by service api of /srv/app/kepler.yaml` when the holder carries a service's marker.
 */
export function holderMessage(port: number, holders: readonly PortHolder[], book: PortBook): string {
  const first = holders[0];
  if (first === undefined) return `port ${port} is in use (by a process not visible to Kepler)`;
  // An argument may hold newlines (`python3 -c '...'`): the message is one line (a status reason).
  const oneLine = first.command.replace(/\s+/g, ' ').trim();
  const command =
    oneLine.length > HOLDER_COMMAND_MAX_CHARS
      ? `${oneLine.slice(0, HOLDER_COMMAND_MAX_CHARS - 1)}…`
      : oneLine;
  const more = holders.length > 1 ? ` and ${holders.length - 1} more` : '';
  let origin = 'not started by Kepler';
  if (first.serviceId !== null) {
    const owner = book.describeServiceId(first.serviceId);
    origin =
      owner === null
        ? `started by Kepler (service id ${first.serviceId})`
        : `started by service ${owner.service} of ${owner.config}`;
  }
  return `port ${port} is in use by pid ${first.pid} (${command})${more}, ${origin}`;
}
