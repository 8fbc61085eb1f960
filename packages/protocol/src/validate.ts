/**
 * Validation: decoded `unknown` -> typed frames. Every field of every message is checked by hand and
 * the result is built field by field (never a cast of decoded data), so a value that passes has
 * exactly the declared type. Unknown extra fields are dropped: a newer peer may add optional ones.
 */

import { types } from 'node:util';
import { FrameError, isErrorCode, ProtocolError } from './errors.js';
import {
  type ClearedLog,
  type ClientFrame,
  type ConfigRef,
  type ConfigSummary,
  type ConfigWarning,
  type DaemonFrame,
  type DaemonStatus,
  type LogLine,
  type PruneEntry,
  type Request,
  type Requests,
  type RequestType,
  type ResultOf,
  SERVICE_STATUSES,
  type ServiceInfo,
  type StartOptions,
  type StartResult,
  type StreamEvent,
  type WireError,
} from './messages.js';

// ---- primitives -------------------------------------------------------------------------------

/** A field failed a check; turned into BAD_REQUEST or BAD_FRAME by the entry points. */
class FieldError extends Error {}

type Obj = { readonly [key: string]: unknown };
type Check<T> = (value: unknown, path: string) => T;

/** Keys of T that are optional (`k?:`). */
type OptionalKeys<T> = { [K in keyof T]-?: T extends Record<K, unknown> ? never : K }[keyof T];
/**
 * T with every key spelled out (optional ones may be `undefined`): parsers build this, so a field
 * added to a message type, optional or not, is a compile error here until it is validated.
 */
// Mapping over key unions (not `keyof T` directly) drops the `?` modifiers and keeps `| undefined`.
type Complete<T> = { [K in OptionalKeys<T>]: T[K] | undefined } & {
  [K in Exclude<keyof T, OptionalKeys<T>>]: T[K];
};

function fail(path: string, message: string): never {
  throw new FieldError(`${path}: ${message}`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (types.isUint8Array(value)) return 'binary data';
  if (typeof value === 'object') return isPlainObject(value) ? 'an object' : 'a non-plain object';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : `the number ${value}`;
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 40))}`;
  return `a ${typeof value}`;
}

function isPlainObject(value: unknown): value is Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function obj(value: unknown, path: string): Obj {
  if (!isPlainObject(value)) fail(path, `expected an object, got ${describe(value)}`);
  return value;
}

function str(value: unknown, path: string): string {
  if (typeof value !== 'string') fail(path, `expected a string, got ${describe(value)}`);
  return value;
}

function nonEmptyStr(value: unknown, path: string): string {
  const s = str(value, path);
  if (s === '') fail(path, 'must not be empty');
  return s;
}

function bool(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') fail(path, `expected true or false, got ${describe(value)}`);
  return value;
}

/** A safe integer >= 0 (counts, ids, pids, sizes). */
function count(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    fail(path, `expected a whole number >= 0, got ${describe(value)}`);
  }
  return value;
}

/** Any safe integer (exit codes may be negative on the wire from other platforms). */
function integer(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    fail(path, `expected a whole number, got ${describe(value)}`);
  }
  return value;
}

/** A finite number >= 0 (milliseconds, timestamps, byte counts). */
function nonNegative(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    fail(path, `expected a number >= 0, got ${describe(value)}`);
  }
  return value;
}

function bytes(value: unknown, path: string): Uint8Array {
  if (!types.isUint8Array(value)) fail(path, `expected binary data, got ${describe(value)}`);
  return value;
}

function oneOf<const T extends string>(values: readonly T[]): Check<T> {
  return (value, path) => {
    const found = values.find((v) => v === value);
    if (found === undefined) {
      fail(path, `expected one of ${values.join(', ')}, got ${describe(value)}`);
    }
    return found;
  };
}

/** Absent (`undefined`) stays absent; `null` is not accepted for an optional field. */
function optional<T>(check: Check<T>): Check<T | undefined> {
  return (value, path) => (value === undefined ? undefined : check(value, path));
}

function nullable<T>(check: Check<T>): Check<T | null> {
  return (value, path) => (value === null ? null : check(value, path));
}

function arrayOf<T>(check: Check<T>): Check<T[]> {
  return (value, path) => {
    if (!Array.isArray(value)) fail(path, `expected an array, got ${describe(value)}`);
    return value.map((item: unknown, i) => check(item, `${path}[${i}]`));
  };
}

/** Drops keys whose value is `undefined`, so absent optional fields stay absent. */
function compact<T extends object>(value: T): T {
  for (const [key, v] of Object.entries(value)) if (v === undefined) Reflect.deleteProperty(value, key);
  return value;
}

const strings = arrayOf(nonEmptyStr);
const status = oneOf(SERVICE_STATUSES);

// ---- requests ---------------------------------------------------------------------------------

function configRef(value: unknown, path: string): Complete<ConfigRef> {
  const o = obj(value, path);
  const configPath = nonEmptyStr(o.path, `${path}.path`);
  if (!configPath.startsWith('/'))
    fail(`${path}.path`, `must be an absolute path, got ${describe(configPath)}`);
  const env = obj(o.env, `${path}.env`);
  const out: Complete<ConfigRef> = {
    path: configPath,
    env: Object.fromEntries(Object.entries(env).map(([k, v]) => [k, str(v, `${path}.env.${k}`)])),
  };
  return out;
}

function startOptions(o: Obj, path: string): Complete<StartOptions> {
  return {
    config: configRef(o.config, `${path}.config`),
    services: strings(o.services, `${path}.services`),
    mode: oneOf(['detach', 'wait', 'follow'])(o.mode, `${path}.mode`),
    timeoutMs: optional(nonNegative)(o.timeoutMs, `${path}.timeoutMs`),
  };
}

/** One parser per request type; a request type without one is a compile error. */
const REQUEST_PARSERS: { readonly [K in RequestType]: (o: Obj, path: string) => Complete<Requests[K]> } = {
  hello: (o, p) => ({
    type: 'hello',
    protocol: count(o.protocol, `${p}.protocol`),
    client: str(o.client, `${p}.client`),
  }),
  status: () => ({ type: 'status' }),
  shutdown: () => ({ type: 'shutdown' }),
  ps: (o, p) => ({
    type: 'ps',
    config: optional(configRef)(o.config, `${p}.config`),
    all: optional(bool)(o.all, `${p}.all`),
  }),
  start: (o, p) => ({ type: 'start', ...startOptions(o, p) }),
  restart: (o, p) => ({ type: 'restart', ...startOptions(o, p) }),
  stop: (o, p) => ({
    type: 'stop',
    config: configRef(o.config, `${p}.config`),
    services: strings(o.services, `${p}.services`),
    signal: optional(nonEmptyStr)(o.signal, `${p}.signal`),
    clean: optional(bool)(o.clean, `${p}.clean`),
  }),
  recreate: (o, p) => ({ type: 'recreate', config: configRef(o.config, `${p}.config`) }),
  logs: (o, p) => ({
    type: 'logs',
    config: configRef(o.config, `${p}.config`),
    services: strings(o.services, `${p}.services`),
    head: optional(count)(o.head, `${p}.head`),
    tail: optional(count)(o.tail, `${p}.tail`),
    noHook: optional(bool)(o.noHook, `${p}.noHook`),
    follow: optional(bool)(o.follow, `${p}.follow`),
  }),
  prune: (o, p) => ({
    type: 'prune',
    force: optional(bool)(o.force, `${p}.force`),
    dryRun: optional(bool)(o.dryRun, `${p}.dryRun`),
  }),
};

/** True when `s` names a request this protocol version knows (own keys only: not `toString`). */
export function isRequestType(s: unknown): s is RequestType {
  return typeof s === 'string' && Object.hasOwn(REQUEST_PARSERS, s);
}

function request(value: unknown, path: string): Request {
  const o = obj(value, path);
  const type = str(o.type, `${path}.type`);
  if (!isRequestType(type)) fail(`${path}.type`, `unknown request type ${JSON.stringify(type.slice(0, 40))}`);
  return compact(REQUEST_PARSERS[type](o, path));
}

// ---- results ----------------------------------------------------------------------------------

function logLine(value: unknown, path: string): Complete<LogLine> {
  const o = obj(value, path);
  const out: Complete<LogLine> = {
    ts: nonNegative(o.ts, `${path}.ts`),
    service: str(o.service, `${path}.service`),
    hook: nullable(str)(o.hook, `${path}.hook`),
    stream: oneOf(['stdout', 'stderr'])(o.stream, `${path}.stream`),
    line: bytes(o.line, `${path}.line`),
    timestamp: optional(bool)(o.timestamp, `${path}.timestamp`),
  };
  return compact(out);
}

function serviceInfo(value: unknown, path: string): Complete<ServiceInfo> {
  const o = obj(value, path);
  const out: Complete<ServiceInfo> = {
    config: str(o.config, `${path}.config`),
    name: str(o.name, `${path}.name`),
    status: status(o.status, `${path}.status`),
    pid: nullable(count)(o.pid, `${path}.pid`),
    exitCode: nullable(integer)(o.exitCode, `${path}.exitCode`),
    signal: nullable(str)(o.signal, `${path}.signal`),
    restarts: count(o.restarts, `${path}.restarts`),
    startedAt: nullable(str)(o.startedAt, `${path}.startedAt`),
    stoppedAt: nullable(str)(o.stoppedAt, `${path}.stoppedAt`),
    health: nullable(oneOf(['starting', 'healthy', 'unhealthy']))(o.health, `${path}.health`),
    healthFailures: count(o.healthFailures, `${path}.healthFailures`),
    lastHealthOutput: nullable(str)(o.lastHealthOutput, `${path}.lastHealthOutput`),
    reason: nullable(str)(o.reason, `${path}.reason`),
    logsNotStored: optional(count)(o.logsNotStored, `${path}.logsNotStored`),
  };
  return compact(out);
}

function configWarning(value: unknown, path: string): Complete<ConfigWarning> {
  const o = obj(value, path);
  return { config: str(o.config, `${path}.config`), message: str(o.message, `${path}.message`) };
}

function configSummary(value: unknown, path: string): Complete<ConfigSummary> {
  const o = obj(value, path);
  const out: Complete<ConfigSummary> = {
    path: str(o.path, `${path}.path`),
    hash: nullable(str)(o.hash, `${path}.hash`),
    services: count(o.services, `${path}.services`),
    running: count(o.running, `${path}.running`),
  };
  return out;
}

function daemonStatus(value: unknown, path: string): Complete<DaemonStatus> {
  const o = obj(value, path);
  const out: Complete<DaemonStatus> = {
    pid: count(o.pid, `${path}.pid`),
    version: str(o.version, `${path}.version`),
    protocol: count(o.protocol, `${path}.protocol`),
    startedAt: str(o.startedAt, `${path}.startedAt`),
    uptimeMs: nonNegative(o.uptimeMs, `${path}.uptimeMs`),
    stateDir: str(o.stateDir, `${path}.stateDir`),
    configs: arrayOf(configSummary)(o.configs, `${path}.configs`),
  };
  return out;
}

function startFailure(value: unknown, path: string): Complete<NonNullable<StartResult['failure']>> {
  const o = obj(value, path);
  const out: Complete<NonNullable<StartResult['failure']>> = {
    service: nullable(str)(o.service, `${path}.service`),
    reason: str(o.reason, `${path}.reason`),
    lastLines: arrayOf(logLine)(o.lastLines, `${path}.lastLines`),
  };
  return out;
}

function startResult(value: unknown, path: string): Complete<StartResult> {
  const o = obj(value, path);
  const out: Complete<StartResult> = {
    started: arrayOf(str)(o.started, `${path}.started`),
    alreadyRunning: arrayOf(str)(o.alreadyRunning, `${path}.alreadyRunning`),
    deferred: arrayOf(str)(o.deferred, `${path}.deferred`),
    failure: optional(startFailure)(o.failure, `${path}.failure`),
    services: arrayOf(serviceInfo)(o.services, `${path}.services`),
  };
  return compact(out);
}

function pruneEntry(value: unknown, path: string): Complete<PruneEntry> {
  const o = obj(value, path);
  const out: Complete<PruneEntry> = {
    path: str(o.path, `${path}.path`),
    stateDir: str(o.stateDir, `${path}.stateDir`),
    bytes: nonNegative(o.bytes, `${path}.bytes`),
    reason: str(o.reason, `${path}.reason`),
    removed: bool(o.removed, `${path}.removed`),
  };
  return out;
}

const RETENTION_SETTINGS: ReadonlySet<string> = new Set(['on_start', 'on_stop', 'on_restart', 'on_exit']);

function clearedLog(value: unknown, path: string): Complete<ClearedLog> {
  const o = obj(value, path);
  const by = str(o.by, `${path}.by`);
  if (!RETENTION_SETTINGS.has(by))
    fail(`${path}.by`, `unknown retention setting ${JSON.stringify(by.slice(0, 40))}`);
  return { service: str(o.service, `${path}.service`), by: by as ClearedLog['by'] };
}

/** One parser per request type's result; a missing one, or a missing field, is a compile error. */
const COMPLETE_RESULT_PARSERS = {
  hello: (v, p) => {
    const o = obj(v, p);
    return {
      protocol: count(o.protocol, `${p}.protocol`),
      version: str(o.version, `${p}.version`),
      pid: count(o.pid, `${p}.pid`),
    };
  },
  status: daemonStatus,
  shutdown: (v, p) => ({ stoppedConfigs: count(obj(v, p).stoppedConfigs, `${p}.stoppedConfigs`) }),
  ps: (v, p) => {
    const o = obj(v, p);
    return compact({
      services: arrayOf(serviceInfo)(o.services, `${p}.services`),
      loaded: optional(bool)(o.loaded, `${p}.loaded`),
      warnings: optional(arrayOf(configWarning))(o.warnings, `${p}.warnings`),
    });
  },
  start: startResult,
  restart: startResult,
  stop: (v, p) => {
    const o = obj(v, p);
    return { stopped: arrayOf(str)(o.stopped, `${p}.stopped`), cleaned: bool(o.cleaned, `${p}.cleaned`) };
  },
  recreate: (v, p) => {
    const o = obj(v, p);
    return { hash: str(o.hash, `${p}.hash`), services: arrayOf(str)(o.services, `${p}.services`) };
  },
  logs: (v, p) => {
    const o = obj(v, p);
    return compact({
      lines: count(o.lines, `${p}.lines`),
      loaded: optional(bool)(o.loaded, `${p}.loaded`),
      cleared: optional(arrayOf(clearedLog))(o.cleared, `${p}.cleared`),
    });
  },
  prune: (v, p) => {
    const o = obj(v, p);
    return {
      entries: arrayOf(pruneEntry)(o.entries, `${p}.entries`),
      freedBytes: nonNegative(o.freedBytes, `${p}.freedBytes`),
      dryRun: bool(o.dryRun, `${p}.dryRun`),
    };
  },
} satisfies { readonly [K in RequestType]: Check<Complete<ResultOf[K]>> };
const RESULT_PARSERS: { readonly [K in RequestType]: Check<ResultOf[K]> } = COMPLETE_RESULT_PARSERS;

// ---- events and errors ------------------------------------------------------------------------

type EventType = StreamEvent['type'];
const EVENT_PARSERS: {
  readonly [K in EventType]: (o: Obj, path: string) => Complete<Extract<StreamEvent, { type: K }>>;
} = {
  logLines: (o, p) => ({ type: 'logLines', lines: arrayOf(logLine)(o.lines, `${p}.lines`) }),
  serviceStatusChanged: (o, p) => ({
    type: 'serviceStatusChanged',
    service: str(o.service, `${p}.service`),
    status: status(o.status, `${p}.status`),
    previous: status(o.previous, `${p}.previous`),
    reason: nullable(str)(o.reason, `${p}.reason`),
    info: serviceInfo(o.info, `${p}.info`),
  }),
  progress: (o, p) => ({
    type: 'progress',
    service: str(o.service, `${p}.service`),
    message: str(o.message, `${p}.message`),
  }),
  ready: (o, p) => ({ type: 'ready', deferred: arrayOf(str)(o.deferred, `${p}.deferred`) }),
  quiescent: () => ({ type: 'quiescent' }),
  begun: (o, p) => ({
    type: 'begun',
    started: arrayOf(str)(o.started, `${p}.started`),
    alreadyRunning: arrayOf(str)(o.alreadyRunning, `${p}.alreadyRunning`),
  }),
};

function isEventType(s: string): s is EventType {
  return Object.hasOwn(EVENT_PARSERS, s);
}

function streamEvent(value: unknown, path: string): StreamEvent {
  const o = obj(value, path);
  const type = str(o.type, `${path}.type`);
  if (!isEventType(type)) fail(`${path}.type`, `unknown event type ${JSON.stringify(type.slice(0, 40))}`);
  return EVENT_PARSERS[type](o, path);
}

/**
 * An error code this side does not know (a newer daemon's) becomes INTERNAL with the code kept in
 * the message: the user still sees what happened, instead of a broken connection.
 */
function wireError(value: unknown, path: string): WireError {
  const o = obj(value, path);
  const rawCode = nonEmptyStr(o.code, `${path}.code`);
  const message = str(o.message, `${path}.message`);
  const code = isErrorCode(rawCode) ? rawCode : 'INTERNAL';
  const out: Complete<WireError> = {
    code,
    message: code === rawCode ? message : `${rawCode}: ${message}`,
    data: o.data,
  };
  return compact(out);
}

// ---- frames -----------------------------------------------------------------------------------

/** The frame's `id` when it is an object with a valid one (so a bad request can still be answered). */
export function frameIdOf(value: unknown): number | undefined {
  if (!isPlainObject(value)) return undefined;
  const id = value.id;
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : undefined;
}

/**
 * The `id` of a frame that claims to be a request (`kind: 'request'` and a valid id) even if the rest
 * of it is invalid: the daemon answers such a frame with a BAD_REQUEST response instead of
 * disconnecting. Undefined for anything else.
 */
export function requestIdOf(value: unknown): number | undefined {
  return isPlainObject(value) && value.kind === 'request' ? frameIdOf(value) : undefined;
}

/**
 * Checks a decoded client frame (`request` or `cancel`). Throws a `ProtocolError` with code
 * BAD_REQUEST naming the offending field (`bad request: request.config.path: ...`). When the frame
 * still claims to be a request with a valid id (`requestIdOf`), the daemon answers that id with it.
 */
export function parseClientFrame(value: unknown): ClientFrame {
  try {
    const o = obj(value, 'frame');
    const kind = oneOf(['request', 'cancel'])(o.kind, 'kind');
    const id = count(o.id, 'id');
    if (kind === 'cancel') return { kind, id };
    return { kind, id, request: request(o.request, 'request') };
  } catch (error) {
    if (error instanceof FieldError) throw new ProtocolError('BAD_REQUEST', `bad request: ${error.message}`);
    throw error;
  }
}

/**
 * A daemon frame whose envelope, event or error is checked but whose `result` is not yet: a result
 * can only be checked against the request it answers (`parseResult`). For clients that keep their
 * own id -> request table; `parseDaemonFrame` does both steps.
 */
export type DaemonEnvelope =
  | { kind: 'response'; id: number; ok: true; result: unknown }
  | { kind: 'response'; id: number; ok: false; error: WireError }
  | { kind: 'event'; id: number; event: StreamEvent };

/** Checks a daemon frame except a response's `result`. Throws a `FrameError` (BAD_FRAME) naming the field. */
export function parseDaemonEnvelope(value: unknown): DaemonEnvelope {
  try {
    const o = obj(value, 'frame');
    const kind = oneOf(['response', 'event'])(o.kind, 'kind');
    const id = count(o.id, 'id');
    if (kind === 'event') return { kind, id, event: streamEvent(o.event, 'event') };
    if (bool(o.ok, 'ok')) return { kind, id, ok: true, result: o.result };
    return { kind, id, ok: false, error: wireError(o.error, 'error') };
  } catch (error) {
    throw asFrameError(error);
  }
}

/**
 * Checks a response's result against the request type it answers (`ResultOf[type]`). Throws a
 * `FrameError` (BAD_FRAME) naming the field, e.g. `invalid daemon frame: result.services[0].status: ...`.
 */
export function parseResult<T extends RequestType>(type: T, value: unknown): ResultOf[T] {
  try {
    const parse: Check<ResultOf[T]> = RESULT_PARSERS[type];
    return compact(parse(value, 'result'));
  } catch (error) {
    throw asFrameError(error);
  }
}

/**
 * Checks a decoded daemon frame entirely. `resultTypeOf(id)` says which request type an id belongs
 * to, since a result is checked against that request's `ResultOf` entry; an ok response for an id
 * it does not know is rejected. Throws a `FrameError` (BAD_FRAME) naming the field: a daemon that sends
 * invalid frames cannot be trusted further.
 */
export function parseDaemonFrame(
  value: unknown,
  resultTypeOf: (id: number) => RequestType | undefined,
): DaemonFrame {
  const frame = parseDaemonEnvelope(value);
  if (frame.kind === 'event' || !frame.ok) return frame;
  const type = resultTypeOf(frame.id);
  if (type === undefined) {
    throw new FrameError('BAD_FRAME', `invalid daemon frame: id: no request ${frame.id} is pending`);
  }
  return { kind: 'response', id: frame.id, ok: true, result: parseResult(type, frame.result) };
}

function asFrameError(error: unknown): unknown {
  return error instanceof FieldError
    ? new FrameError('BAD_FRAME', `invalid daemon frame: ${error.message}`)
    : error;
}

/**
 * The daemon's protocol version from its answer to hello, read leniently: only `result.protocol` of an
 * ok response, or `error.data.protocol` of a PROTOCOL_MISMATCH error. This part of the envelope is
 * frozen (see PROTOCOL_VERSION), so it works against a daemon of any version. Undefined if absent.
 */
export function helloProtocolOf(value: unknown): number | undefined {
  if (!isPlainObject(value) || value.kind !== 'response') return undefined;
  let holder: unknown;
  if (value.ok === true) holder = value.result;
  else if (isPlainObject(value.error) && value.error.code === 'PROTOCOL_MISMATCH') holder = value.error.data;
  if (!isPlainObject(holder)) return undefined;
  const protocol = holder.protocol;
  return typeof protocol === 'number' && Number.isSafeInteger(protocol) ? protocol : undefined;
}
