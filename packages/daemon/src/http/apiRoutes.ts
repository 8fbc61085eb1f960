import {
  type LogLine,
  logLineToJson,
  MAX_WAIT_MS,
  psRowsToJson,
  type Requests,
  type ResultOf,
  type StartResult,
  serviceToJson,
} from '@kepler/protocol';
import type { ConfigRegistry } from '../config/ConfigRegistry.js';
import { GOING_AWAY_CLOSE_CODE } from './BoundedWebSocket.js';
import type { DaemonEvents } from './DaemonEvents.js';
import { ApiError, type HandlerAccess, invoke } from './invoke.js';
import { configOf, type Params } from './params.js';
import type { Route } from './routeTable.js';
import { CONFIG_PARAM, ERRORS, S } from './schemas.js';

/** What the API's routes use: the socket's handlers (through `invoke`), the configs, their events. */
export interface ApiDeps {
  readonly access: HandlerAccess;
  readonly registry: ConfigRegistry;
  readonly events: DaemonEvents;
}

/** Lines `GET /api/v1/logs` answers without `head` or `tail`. */
export const DEFAULT_LOG_LINES = 100;
/** The most lines one `GET /api/v1/logs` answers (a follow streams without a bound). */
export const MAX_LOG_LINES = 10_000;

const SERVICES_PARAM = {
  schema: { type: 'array', items: { type: 'string' } },
  description: 'Service names (in a query: repeated or comma-separated); none means all',
};

/** `ps --json`'s rows (each with its config's `stale`), and the config-level warnings and stale paths. */
function servicesJson(r: ResultOf['ps']) {
  return {
    services: psRowsToJson(r.services, r.stale),
    warnings: r.warnings ?? [],
    stale: r.stale ?? [],
  };
}

function startJson(r: StartResult) {
  return {
    started: r.started,
    already_running: r.alreadyRunning,
    deferred: r.deferred,
    services: r.services.map(serviceToJson),
    stale: r.stale === true,
    ...(r.failure
      ? {
          failure: {
            service: r.failure.service,
            reason: r.failure.reason,
            last_lines: r.failure.lastLines.map(logLineToJson),
          },
        }
      : {}),
  };
}

/** Service names: `services`, or provisr's `name` (one service). */
function servicesOf(p: Params): string[] {
  const name = p.string('name');
  return name === undefined ? p.strings('services') : [name, ...p.strings('services')];
}

function startRequest(type: 'start' | 'restart', p: Params, registry: ConfigRegistry): Requests['start'] {
  const timeoutMs = p.count('timeout_ms', MAX_WAIT_MS);
  return {
    type: type as 'start',
    config: configOf(p, registry),
    services: servicesOf(p),
    mode: p.oneOf('mode', ['detach', 'wait'], 'detach'),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  };
}

function logsRequest(p: Params, registry: ConfigRegistry, follow: boolean): Requests['logs'] {
  const head = p.count('head');
  const tail = p.count('tail');
  const since = p.count('since');
  const until = p.count('until');
  if (!follow && head !== undefined && tail !== undefined) {
    throw new ApiError(400, 'BAD_REQUEST', 'head: give head or tail, not both');
  }
  for (const [name, n] of [
    ['head', head],
    ['tail', tail],
  ] as const) {
    if (!follow && n !== undefined && n > MAX_LOG_LINES)
      throw new ApiError(400, 'BAD_REQUEST', `${name}: at most ${MAX_LOG_LINES} lines per request`);
  }
  const bounded = head === undefined && tail === undefined && !follow ? DEFAULT_LOG_LINES : tail;
  return {
    type: 'logs',
    config: configOf(p, registry),
    services: servicesOf(p),
    noHook: p.flag('no_hook'),
    follow,
    ...(head === undefined ? {} : { head }),
    ...(bounded === undefined ? {} : { tail: bounded }),
    ...(since === undefined ? {} : { since }),
    ...(until === undefined ? {} : { until }),
  };
}

const START_BODY = {
  config: CONFIG_PARAM,
  services: SERVICES_PARAM,
  mode: {
    schema: { type: 'string', enum: ['detach', 'wait'] },
    description:
      '`detach` (default): answer once started; `wait`: once the startup cluster is ready or failed',
  },
  timeout_ms: {
    schema: { type: 'integer', minimum: 0, maximum: MAX_WAIT_MS },
    description: 'Deadline of `wait`, in ms (at most 24 days)',
  },
};
const LOGS_QUERY = {
  config: CONFIG_PARAM,
  services: SERVICES_PARAM,
  head: { schema: { type: 'integer', minimum: 0 }, description: 'The first N lines' },
  tail: {
    schema: { type: 'integer', minimum: 0 },
    description: `The last N lines (default ${DEFAULT_LOG_LINES})`,
  },
  since: {
    schema: { type: 'integer', minimum: 0 },
    description: 'Only lines captured at or after (ms since the epoch)',
  },
  until: {
    schema: { type: 'integer', minimum: 0 },
    description: 'Only lines captured at or before (ms since the epoch)',
  },
  no_hook: { schema: { type: 'boolean' }, description: "Leave out the hooks' lines" },
  follow: { schema: { type: 'boolean' }, description: 'WebSocket only: stream lines as they are captured' },
};

/** The JSON and WebSocket routes under /api/v1/ (and provisr's aliases of three of them). */
export function apiRoutes(deps: ApiDeps): Route[] {
  const { access, registry, events } = deps;
  const services = async (p: Params) => {
    if (!p.has('config')) return servicesJson(await invoke(access, { type: 'ps', all: true }));
    return servicesJson(await invoke(access, { type: 'ps', config: configOf(p, registry) }));
  };
  // A client that goes away ends a `wait` (as a CLI's Ctrl+C does); what was started keeps running.
  const start = async (p: Params, gone: Promise<void>) =>
    startJson(await invoke(access, startRequest('start', p, registry), { cancelled: gone }));
  const stop = async (p: Params) => {
    const signal = p.string('signal');
    const r = await invoke(access, {
      type: 'stop',
      config: configOf(p, registry),
      services: servicesOf(p),
      ...(signal === undefined ? {} : { signal }),
      clean: p.flag('clean'),
    });
    return { stopped: r.stopped, cleaned: r.cleaned };
  };
  const servicesDoc = {
    query: { config: { ...CONFIG_PARAM, description: 'One config (default: every loaded config)' } },
    responses: {
      '200': { description: 'Services as `kepler ps --json` prints them', schema: S.services },
      ...ERRORS,
    },
  };
  // provisr's status: `name` (only there) answers that one service's object.
  const statusAliasDoc = {
    query: {
      ...servicesDoc.query,
      name: { schema: { type: 'string' }, description: 'One service: its object alone' },
    },
    responses: {
      '200': {
        description: 'Services as `kepler ps --json` prints them; with `name`, that service alone',
        schema: { oneOf: [S.services, S.service] },
      },
      ...ERRORS,
    },
  };
  const startDoc = {
    body: { ...START_BODY, name: { schema: { type: 'string' }, description: 'One service (provisr)' } },
    responses: { '200': { description: 'What was started', schema: S.startResult }, ...ERRORS },
  };
  const stopDoc = {
    body: {
      config: CONFIG_PARAM,
      services: SERVICES_PARAM,
      name: { schema: { type: 'string' }, description: 'One service (provisr)' },
      signal: { schema: { type: 'string' }, description: "Overrides each service's stop_signal" },
      clean: {
        schema: { type: 'boolean' },
        description: 'Also run pre_cleanup and remove the state (all services only)',
      },
    },
    responses: { '200': { description: 'What was stopped', schema: S.stopResult }, ...ERRORS },
  };
  const filterOne = async (p: Params) => {
    const r = await services(p);
    const name = p.string('name');
    if (name === undefined) return r;
    const found = r.services.find((s) => s.name === name);
    if (!found) throw new ApiError(404, 'UNKNOWN_SERVICE', `no service ${name}`);
    return found;
  };
  return [
    {
      method: 'GET',
      path: '/api/v1/status',
      doc: {
        summary: 'The daemon: version, pid, uptime, loaded configs',
        responses: {
          '200': { description: 'As `kepler daemon status`', schema: S.object },
          '400': ERRORS['400'],
          '401': ERRORS['401'],
        },
      },
      json: async () => invoke(access, { type: 'status' }),
    },
    {
      method: 'GET',
      path: '/api/v1/configs',
      doc: {
        summary: 'Every loaded config, with its staleness and warnings',
        responses: {
          '200': { description: 'Configs', schema: S.configs },
          '400': ERRORS['400'],
          '401': ERRORS['401'],
        },
      },
      json: async () => {
        const [status, ps] = await Promise.all([
          invoke(access, { type: 'status' }),
          invoke(access, { type: 'ps', all: true }),
        ]);
        const stale = new Set(ps.stale ?? []);
        return {
          configs: status.configs.map((c) => ({
            ...c,
            stale: stale.has(c.path),
            warnings: (ps.warnings ?? []).filter((w) => w.config === c.path).map((w) => w.message),
          })),
        };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/services',
      doc: { summary: 'Services of one config or of all (`ps --json`)', ...servicesDoc },
      json: async ({ params }) => services(params),
    },
    {
      method: 'POST',
      path: '/api/v1/start',
      doc: { summary: 'Start services (all, or named) with their dependencies', ...startDoc },
      json: async ({ params, gone }) => start(params, gone),
    },
    {
      method: 'POST',
      path: '/api/v1/stop',
      doc: { summary: 'Stop services (all, or named)', ...stopDoc },
      json: async ({ params }) => stop(params),
    },
    {
      method: 'POST',
      path: '/api/v1/restart',
      doc: { summary: 'Restart services (all, or named)', body: START_BODY, responses: startDoc.responses },
      json: async ({ params, gone }) =>
        startJson(await invoke(access, startRequest('restart', params, registry), { cancelled: gone })),
    },
    {
      method: 'GET',
      path: '/api/v1/logs',
      doc: {
        summary: 'Stored log lines (JSON), or with `follow` a WebSocket of live ones',
        description:
          'A WebSocket upgrade with `follow` sends the last lines, then `{type: "logLines", lines}` messages as lines are captured.',
        query: LOGS_QUERY,
        responses: {
          '200': { description: 'Lines as `kepler logs --json` prints them', schema: S.logs },
          '426': { description: '`follow` without a WebSocket upgrade', schema: S.error },
          ...ERRORS,
        },
      },
      json: async ({ params }) => {
        // A follow is a stream: like /api/v1/events, refuse it without the upgrade, never answer a snapshot.
        if (params.flag('follow')) {
          throw new ApiError(426, 'BAD_REQUEST', 'follow: a follow is a WebSocket; send an Upgrade request');
        }
        const lines: LogLine[] = [];
        const r = await invoke(access, logsRequest(params, registry, false), {
          emit: (e) => {
            if (e.type === 'logLines') for (const l of e.lines) lines.push(l);
          },
        });
        return { lines: lines.map(logLineToJson), ...(r.cleared ? { cleared: r.cleared } : {}) };
      },
      websocket: ({ params, gone }) => {
        const request = logsRequest(params, registry, true);
        // Refused before the upgrade as the JSON route refuses it, not by a close after it.
        registry.find(request.config.path)?.checkNames(request.services);
        return (socket) =>
          void invoke(access, request, {
            cancelled: gone,
            emit: (e) => {
              if (e.type === 'logLines') socket.send({ type: 'logLines', lines: e.lines.map(logLineToJson) });
            },
          }).then(
            () => socket.end(GOING_AWAY_CLOSE_CODE, 'the daemon is stopping'),
            (e) => socket.end(1011, String((e as Error).message).slice(0, 120)),
          );
      },
    },
    {
      method: 'GET',
      path: '/api/v1/events',
      doc: {
        summary: 'WebSocket: status changes, health check results and hook progress of every config',
        description:
          'Messages: `{type: "subscribed"}` first, then `{type: "serviceStatusChanged", config, service, status, previous, reason, info}` `{type: "healthChecked", config, service, ok, output, at, failures}` (every health check) and `{type: "progress", config, service, message}` (hooks running or failing, dependency waits).',
        query: { config: { schema: { type: 'string' }, description: 'Only this config' } },
        responses: {
          '101': { description: 'Switching to the WebSocket protocol' },
          '426': { description: 'Not a WebSocket upgrade', schema: S.error },
          ...ERRORS,
        },
      },
      websocket: ({ params, gone }) => {
        // A config not loaded is refused (404 CONFIG_NOT_LOADED) as the JSON routes refuse it: a
        // filter that matches nothing would stream nothing without saying why.
        const only = params.has('config') ? configOf(params, registry).path : undefined;
        return (socket) => {
          const off = events.subscribe((config, e) => {
            if (only !== undefined && config !== only) return;
            if (e.type === 'serviceStatusChanged') {
              socket.send({
                type: e.type,
                config,
                service: e.service,
                status: e.status,
                previous: e.previous,
                reason: e.reason,
                info: serviceToJson(e.info),
              });
            } else if (e.type === 'progress') {
              socket.send({ type: e.type, config, service: e.service, message: e.message });
            } else if (e.type === 'healthChecked') {
              socket.send({ ...e, config });
            }
          });
          socket.send({ type: 'subscribed' });
          void gone.then(off);
        };
      },
    },
    // provisr's API (seed 001), on the same handlers.
    {
      method: 'GET',
      path: '/api/status',
      doc: { summary: 'provisr alias of GET /api/v1/services (`name`: one service)', ...statusAliasDoc },
      json: async ({ params }) => filterOne(params),
    },
    {
      method: 'POST',
      path: '/api/start',
      doc: { summary: 'provisr alias of POST /api/v1/start', ...startDoc },
      json: async ({ params, gone }) => start(params, gone),
    },
    {
      method: 'POST',
      path: '/api/stop',
      doc: { summary: 'provisr alias of POST /api/v1/stop', ...stopDoc },
      json: async ({ params }) => stop(params),
    },
  ];
}
