import type { ServerResponse } from 'node:http';
import { inspectToJson, topToJson } from '@kepler/protocol';
import type { ConfigRegistry } from '../config/ConfigRegistry.js';
import { ApiError, type HandlerAccess, invoke } from './invoke.js';
import { configOf } from './params.js';
import type { Route, Schema } from './routeTable.js';
import { CONFIG_PARAM, ERRORS } from './schemas.js';

const CONFIG_QUERY = { config: CONFIG_PARAM };

const nullableNumber: Schema = { type: 'number', nullable: true };

/** `top --json`'s rows: the Service object and its usage. */
const TOP_SCHEMA: Schema = {
  type: 'object',
  required: ['services'],
  properties: {
    services: {
      type: 'array',
      items: {
        allOf: [
          { $ref: '#/components/schemas/Service' },
          {
            type: 'object',
            properties: {
              cpu_percent: {
                ...nullableNumber,
                description: 'Percent of one core over about the last second',
              },
              cpu_seconds: { ...nullableNumber, description: 'CPU seconds used so far' },
              memory_bytes: { ...nullableNumber, description: 'Resident memory' },
              usage_source: { type: 'string', nullable: true, enum: ['cgroup', 'proc', null] },
            },
          },
        ],
      },
    },
  },
};

/** `inspect --json`'s object (its fields are described in the README's Metrics, top and inspect). */
const INSPECT_SCHEMA: Schema = {
  type: 'object',
  required: [
    'service',
    'settings',
    'status_since',
    'last_exit',
    'last_cause',
    'backoff',
    'health',
    'dependencies',
    'logs',
  ],
  properties: {
    service: { $ref: '#/components/schemas/Service' },
    settings: {
      type: 'object',
      description:
        "The service's baked settings as the config file spells them (stop_grace_period: 10s, depends_on, healthcheck.start_timeout), every default applied",
    },
    status_since: { type: 'string', nullable: true, format: 'date-time' },
    last_exit: { type: 'object', nullable: true, description: '{code, signal, at}' },
    last_cause: { type: 'object', nullable: true, description: '{what: restart|failure, kind, detail, at}' },
    backoff: { type: 'object', description: '{consecutive_crashes, delay_ms, restart_at}' },
    health: { type: 'array', items: { type: 'object' }, description: 'The last results, {at, ok, output}' },
    dependencies: {
      type: 'array',
      items: { type: 'object' },
      description: '{service, condition, verdict, reason, restart}',
    },
    logs: { type: 'array', items: { $ref: '#/components/schemas/LogLine' } },
  },
};

/**
 * The usage family over HTTP, through the socket's handlers: `GET /metrics` (the Prometheus text of
 * the `metrics` request; behind the token like every route: a scraper sends it as a bearer token),
 * `GET /api/v1/top` (`top --json`'s rows: the dashboard's CPU and memory) and `GET /api/v1/inspect`.
 * Each call is a watcher for the sampler: a scrape reads at most once a second, and nothing is read
 * while nobody asks.
 */
export function usageRoutes(access: HandlerAccess, registry: ConfigRegistry): Route[] {
  return [
    {
      method: 'GET',
      path: '/metrics',
      doc: {
        summary: 'Every service in the Prometheus text format (version 0.0.4)',
        description:
          'kepler_service_up, _restarts_total, _cpu_seconds_total, _memory_bytes, _healthy and _uptime_seconds, labelled with config and service',
        responses: { '200': { description: 'text/plain; version=0.0.4' }, '401': ERRORS['401'] },
      },
      page: async (_call, res: ServerResponse) => {
        const r = await invoke(access, { type: 'metrics' });
        const body = Buffer.from(r.text, 'utf8');
        res.writeHead(200, {
          'Content-Type': r.contentType,
          'Content-Length': body.length,
          'Cache-Control': 'no-store',
        });
        res.end(body);
      },
    },
    {
      method: 'GET',
      path: '/api/v1/top',
      doc: {
        summary: 'Services with their CPU and memory (`top --json`); every loaded config without `config`',
        query: CONFIG_QUERY,
        responses: { '200': { description: 'The services and their usage', schema: TOP_SCHEMA }, ...ERRORS },
      },
      json: async ({ params }) => {
        const r = params.has('config')
          ? await invoke(access, { type: 'top', config: configOf(params, registry) })
          : await invoke(access, { type: 'top', all: true });
        return { services: topToJson(r) };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/inspect',
      doc: {
        summary: "One service's post-mortem (`inspect --json`)",
        query: {
          ...CONFIG_QUERY,
          service: { schema: { type: 'string' }, description: 'The service (required)' },
          lines: { schema: { type: 'integer', minimum: 0 }, description: 'Last log lines (default 20)' },
        },
        responses: { '200': { description: 'The post-mortem', schema: INSPECT_SCHEMA }, ...ERRORS },
      },
      json: async ({ params }) => {
        const service = params.string('service');
        if (service === undefined || service === '')
          throw new ApiError(400, 'BAD_REQUEST', 'service: required');
        const lines = params.count('lines');
        const config = configOf(params, registry);
        return inspectToJson(
          await invoke(access, {
            type: 'inspect',
            config,
            service,
            ...(lines === undefined ? {} : { lines }),
          }),
        );
      },
    },
  ];
}
