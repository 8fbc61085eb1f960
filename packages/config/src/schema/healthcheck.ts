/** `healthcheck`: exactly one probe (command, HTTP or TCP) with its timing; docker's list forms accepted. */
import {
  byKind,
  duration,
  list,
  number,
  type ObjectOut,
  object,
  oneOf,
  string,
  transform,
} from './kit/index.js';
import { MAX_PORT } from './network.js';

/** `healthcheck.tcp: port`: connect to the service's own port on 127.0.0.1. */
export const OWN_PORT_TCP = 'port';

/** `healthcheck.http: /health`: a path on the service's own port on 127.0.0.1. */
export function isOwnPortPath(http: string): boolean {
  return http.startsWith('/');
}

function httpProblem(url: string): string | undefined {
  if (isOwnPortPath(url)) return undefined;
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return undefined;
  } catch {
    // fall through
  }
  return `${JSON.stringify(url)} is not an http:// or https:// URL`;
}

/** Splits `HOST:PORT` (`[::1]:80` for IPv6). Returns undefined when malformed. */
export function parseHostPort(value: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(value.trim());
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port < 1 || port > MAX_PORT) return undefined;
  return { host: match[1] ?? match[2] ?? '', port };
}

/** The accepted values of `healthcheck.on_unhealthy`. */
export const ON_UNHEALTHY_ACTIONS = ['keep', 'restart'] as const;

/** `healthcheck.test: ["NONE"]` (docker's form): the image's check is off; here, no health check. */
export const HEALTHCHECK_NONE = 'NONE';

/** Whether a healthcheck is docker's `test: ["NONE"]`, i.e. none at all. */
export function isHealthcheckNone(hc: { readonly test?: readonly string[] }): boolean {
  return hc.test?.length === 1 && hc.test[0] === HEALTHCHECK_NONE;
}

/** Docker's list forms: `["CMD", argv...]` runs argv, `["CMD-SHELL", script]` runs it with sh -c. */
function dockerTest(test: string[]): string[] {
  if (test[0] === 'CMD') return test.slice(1);
  if (test[0] === 'CMD-SHELL') return test.length > 1 ? ['sh', '-c', test.slice(1).join(' ')] : [];
  return test;
}

const healthcheckProps = {
  test: byKind<string[], never, string[]>(
    {
      seq: transform(list(string(), { minItems: 1 }), dockerTest),
      scalar: transform(string(), (script) => ['sh', '-c', script]),
    },
    {
      expected: 'a command list (or a shell string)',
      description:
        'Probe command as an argv list (or a string run with sh -c). Docker forms too: ["CMD", ...], ["CMD-SHELL", "script"], ["NONE"] (no check). Not expanded.',
    },
  ),
  http: string({
    check: httpProblem,
    description:
      "Probe by HTTP GET: a 2xx or 3xx answer passes. A /path probes the service's own port on 127.0.0.1.",
  }),
  tcp: string({
    check: (v) =>
      v === OWN_PORT_TCP || parseHostPort(v)
        ? undefined
        : `${JSON.stringify(v)} is not HOST:PORT (e.g. 127.0.0.1:8080)`,
    description: "Probe by TCP connect to HOST:PORT; `port`: the service's own port on 127.0.0.1.",
  }),
  interval: duration({ minMs: 10, description: 'Time between checks (default 30s).' }),
  timeout: duration({ minMs: 10, description: 'Timeout per check (default 30s).' }),
  retries: number({
    integer: true,
    min: 1,
    description: 'Consecutive failures before unhealthy (default 3).',
  }),
  start_period: duration({ description: 'Grace period before failures count (default 0s).' }),
  on_unhealthy: oneOf(ON_UNHEALTHY_ACTIONS, {
    description:
      'keep (default): keep the process running; restart: restart it through the restart path (backoff, pre_restart/post_restart, restart: true dependents).',
  }),
  start_timeout: duration({
    minMs: 10,
    description: 'A service not healthy within this time of its start fails (default: no limit).',
  }),
};
/** A `healthcheck` after decoding (durations in ms). */
export type NormalizedHealthcheck = ObjectOut<typeof healthcheckProps>;
export const healthcheck = object(healthcheckProps, {
  description: 'Health check: exactly one of test, http or tcp.',
});
