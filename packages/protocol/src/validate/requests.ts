/** The parsers of client requests, one per request type (`Requests` in messages.ts). */

import {
  type ConfigRef,
  MAX_WAIT_MS,
  type Request,
  type Requests,
  type RequestType,
  type StartOptions,
} from '../messages.js';
import { adhocAdd, adhocRemove } from './adhoc.js';
import {
  absolutePath,
  arrayOf,
  bool,
  type Check,
  count,
  type FieldChecks,
  fail,
  literal,
  nonEmptyStr,
  obj,
  oneOf,
  optional,
  record,
  str,
  strings,
  upTo,
} from './fields.js';
import { inspectRequests } from './inspect.js';
import { usageRequests } from './usage.js';

function environment(value: unknown, path: string): Record<string, string> {
  const env = obj(value, path);
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, str(v, `${path}.${k}`)]));
}

const configRef = record<ConfigRef>({
  path: absolutePath,
  env: environment,
  overlays: optional(arrayOf(absolutePath)),
});

const START_OPTIONS: FieldChecks<StartOptions> = {
  config: configRef,
  services: strings,
  mode: oneOf(['detach', 'wait', 'follow']),
  timeoutMs: optional(upTo(MAX_WAIT_MS)),
};

/** One parser per request type; a request type without one is a compile error. */
const REQUEST_PARSERS: { readonly [K in RequestType]: Check<Requests[K]> } = {
  hello: record({ type: literal('hello'), protocol: count, client: str }),
  status: record({ type: literal('status') }),
  shutdown: record({ type: literal('shutdown') }),
  ps: record({ type: literal('ps'), config: optional(configRef), all: optional(bool) }),
  start: record({ type: literal('start'), ...START_OPTIONS }),
  restart: record({ type: literal('restart'), ...START_OPTIONS }),
  stop: record({
    type: literal('stop'),
    config: configRef,
    services: strings,
    signal: optional(nonEmptyStr),
    clean: optional(bool),
  }),
  recreate: record({ type: literal('recreate'), config: configRef }),
  up: record({ type: literal('up'), ...START_OPTIONS, dryRun: optional(bool) }),
  down: record({ type: literal('down'), config: configRef, clean: optional(bool) }),
  logs: record({
    type: literal('logs'),
    config: configRef,
    services: strings,
    head: optional(count),
    tail: optional(count),
    noHook: optional(bool),
    follow: optional(bool),
    since: optional(count),
    until: optional(count),
  }),
  prune: record({ type: literal('prune'), force: optional(bool), dryRun: optional(bool) }),
  adhocAdd, // adhoc.ts
  adhocRemove, // adhoc.ts
  ...usageRequests(configRef), // usage.ts: top, metrics
  ...inspectRequests(configRef), // inspect.ts
};

/** True when `s` names a request this protocol version knows (own keys only: not `toString`). */
export function isRequestType(s: unknown): s is RequestType {
  return typeof s === 'string' && Object.hasOwn(REQUEST_PARSERS, s);
}

export function request(value: unknown, path: string): Request {
  const o = obj(value, path);
  const type = str(o.type, `${path}.type`);
  if (!isRequestType(type)) fail(`${path}.type`, `unknown request type ${JSON.stringify(type.slice(0, 40))}`);
  return REQUEST_PARSERS[type](o, path);
}
