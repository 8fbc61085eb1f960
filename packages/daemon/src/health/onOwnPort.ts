import type { BakedHealthcheck } from '@kepler/config';

/**
 * The check with `http: /path` or `tcp: port` (the service's own port) made concrete for `port`, the
 * port the service was given at this start: an HTTP GET of http://127.0.0.1:PORT/path, or a TCP
 * connect to 127.0.0.1:PORT. Other checks, and a service without a port, are returned as they are.
 */
export function onOwnPort(check: BakedHealthcheck, port: number | null): BakedHealthcheck {
  const { probe } = check;
  if (probe.kind !== 'ownPort' || port === null) return check;
  return {
    ...check,
    probe:
      probe.path === null
        ? { kind: 'tcp', host: '127.0.0.1', port }
        : { kind: 'http', url: `http://127.0.0.1:${port}${probe.path}` },
  };
}
