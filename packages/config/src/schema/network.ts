/**
 * A service's network keys (Canopus's runtime fields): `port` (a fixed port, or `auto` for a free one
 * Kepler picks at the first start and keeps) and `hostname` (the name the daemon's reverse proxy routes
 * to that port). They live in their own block of the service schema.
 */
import { mismatch, type Schema, string, withDescription } from './kit/index.js';

/** `port: auto`: a free TCP port on 127.0.0.1, picked at the first start and kept while it stays free. */
export const AUTO_PORT = 'auto';

/** The highest TCP port. */
export const MAX_PORT = 65_535;

/** `port: 8080` (also `"8080"`) or `port: auto`. */
const port: Schema<number | typeof AUTO_PORT> = {
  expected: `a port number (1-${MAX_PORT}) or auto`,
  json: () =>
    withDescription(
      {
        anyOf: [
          { type: 'integer', minimum: 1, maximum: MAX_PORT },
          { type: 'string', enum: [AUTO_PORT] },
        ],
      },
      {
        description:
          'TCP port the service listens on, given to it as PORT; auto: a free port on 127.0.0.1 picked at the first start and kept.',
      },
    ),
  decode(node, path, dc) {
    if (node.kind !== 'scalar') return mismatch(port, node, path, dc);
    const { value } = node;
    if (value === AUTO_PORT) return AUTO_PORT;
    const n =
      typeof value === 'number'
        ? value
        : typeof value === 'string' && /^\d+$/.test(value)
          ? Number(value)
          : NaN;
    if (!Number.isInteger(n)) return mismatch(port, node, path, dc);
    if (n < 1 || n > MAX_PORT) {
      dc.issues.add(path, `must be a port between 1 and ${MAX_PORT}, got ${n}`, node.pos);
      return undefined;
    }
    return n;
  },
};

/** DNS labels: letters, digits and inner hyphens, dot-separated (`web.localhost`, `api.dev.localhost`). */
const HOSTNAME_PATTERN =
  /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

function hostnameProblem(value: string): string | undefined {
  if (HOSTNAME_PATTERN.test(value)) return undefined;
  const lower = value.toLowerCase();
  if (lower !== value && HOSTNAME_PATTERN.test(lower))
    return `write it in lower case: ${JSON.stringify(lower)}`;
  return `${JSON.stringify(value)} is not a host name (letters, digits, hyphens and dots, e.g. web.localhost)`;
}

/** The keys, spread into the service's properties. */
export const networkProps = {
  port,
  hostname: string({
    check: hostnameProblem,
    description:
      "Host name the daemon's reverse proxy routes to this service's port (e.g. web.localhost); implies port: auto when no port is set.",
  }),
};
