import { SERVICE_STATUSES } from '@kepler/protocol';
import type { Schema } from './routeTable.js';

const str = { type: 'string' };
const nullableStr = { type: 'string', nullable: true };
const names = { type: 'array', items: str };

/** `kepler ps --json`'s object of a service (protocol `ServiceJson`). */
const service: Schema = {
  type: 'object',
  required: ['config', 'name', 'status', 'pid', 'restarts'],
  properties: {
    config: str,
    name: str,
    status: {
      type: 'string',
      enum: [...SERVICE_STATUSES],
    },
    pid: { type: 'integer', nullable: true },
    exit_code: { type: 'integer', nullable: true },
    signal: nullableStr,
    restarts: { type: 'integer' },
    started_at: { ...nullableStr, format: 'date-time' },
    stopped_at: { ...nullableStr, format: 'date-time' },
    health: { type: 'string', nullable: true, enum: ['starting', 'healthy', 'unhealthy', null] },
    health_failures: { type: 'integer' },
    last_health_output: nullableStr,
    reason: { ...nullableStr, description: 'Why it failed, waits or restarts' },
    logs_not_stored: { type: 'integer' },
    unmet_dependencies: {
      type: 'array',
      items: { type: 'object', properties: { service: str, reason: str } },
      description: 'Soft dependencies whose condition does not hold while it runs',
    },
    stale: {
      type: 'boolean',
      description: "Its config's files changed since the snapshot was baked (service lists only)",
    },
  },
};

/** `kepler logs --json`'s object of a line (protocol `LogLineJson`). */
const logLine: Schema = {
  type: 'object',
  required: ['ts', 'service', 'stream', 'line'],
  properties: {
    ts: { type: 'string', format: 'date-time' },
    service: str,
    hook: str,
    stream: { type: 'string', enum: ['stdout', 'stderr'] },
    line: str,
  },
};

/** The response schemas the routes name; `openapi.ts` puts them under components. */
export const SCHEMAS = {
  Error: {
    type: 'object',
    required: ['code', 'message'],
    properties: {
      code: {
        type: 'string',
        description:
          "One of the protocol's stable codes (BAD_REQUEST, CONFIG_NOT_LOADED, UNKNOWN_SERVICE, ...), or PERMISSION_DENIED",
      },
      message: str,
    },
  },
  Service: service,
  LogLine: logLine,
  Services: {
    type: 'object',
    required: ['services', 'warnings', 'stale'],
    properties: {
      services: { type: 'array', items: { $ref: '#/components/schemas/Service' } },
      warnings: { type: 'array', items: { type: 'object', properties: { config: str, message: str } } },
      stale: {
        ...names,
        description: 'Configs whose files changed since they were baked (`kepler up` applies them)',
      },
    },
  },
  Configs: {
    type: 'object',
    properties: {
      configs: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            path: str,
            hash: nullableStr,
            services: { type: 'integer' },
            running: { type: 'integer' },
            stale: { type: 'boolean' },
            warnings: names,
          },
        },
      },
    },
  },
  StartResult: {
    type: 'object',
    required: ['started', 'already_running', 'deferred', 'services', 'stale'],
    properties: {
      started: names,
      already_running: names,
      deferred: names,
      services: { type: 'array', items: { $ref: '#/components/schemas/Service' } },
      stale: { type: 'boolean' },
      failure: {
        type: 'object',
        properties: {
          service: nullableStr,
          reason: str,
          last_lines: { type: 'array', items: { $ref: '#/components/schemas/LogLine' } },
        },
      },
    },
  },
  StopResult: {
    type: 'object',
    required: ['stopped', 'cleaned'],
    properties: { stopped: names, cleaned: { type: 'boolean' } },
  },
  Logs: {
    type: 'object',
    required: ['lines'],
    properties: {
      lines: { type: 'array', items: { $ref: '#/components/schemas/LogLine' } },
      cleared: { type: 'array', items: { type: 'object', properties: { service: str, by: str } } },
    },
  },
} as const satisfies Record<string, Schema>;

const ref = (name: keyof typeof SCHEMAS): Schema => ({ $ref: `#/components/schemas/${name}` });

/** References to the schemas, for routes' responses. */
export const S = {
  error: ref('Error'),
  services: ref('Services'),
  service: ref('Service'),
  configs: ref('Configs'),
  startResult: ref('StartResult'),
  stopResult: ref('StopResult'),
  logs: ref('Logs'),
  object: { type: 'object' } as Schema,
};

/** The `config` parameter of a route about one config (query or body). */
export const CONFIG_PARAM = {
  schema: { type: 'string' },
  description: 'Canonical path of a loaded config; may be left out when exactly one is loaded',
};

/** The error answers every config route documents. */
export const ERRORS = {
  '400': { description: 'A bad field, named in the message', schema: S.error },
  '401': { description: 'No token, or a wrong one', schema: S.error },
  '404': { description: 'Config not loaded, or unknown service', schema: S.error },
};
