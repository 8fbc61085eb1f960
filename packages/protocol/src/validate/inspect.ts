/**
 * The parsers of the inspect family (inspectMessages.ts): its request and result. requests.ts and
 * results.ts list them in their tables, handing in the shared checkers (as usage.ts).
 */

import {
  type BackoffState,
  CAUSE_KINDS,
  type CauseRecord,
  type DependencyEdge,
  type ExitRecord,
  type HealthResult,
  type InspectRequests,
  type InspectResult,
  type InspectResults,
} from '../inspectMessages.js';
import type { ConfigRef, LogLine, ServiceInfo } from '../messages.js';
import {
  arrayOf,
  bool,
  type Check,
  count,
  integer,
  literal,
  nonEmptyStr,
  nonNegative,
  nullable,
  obj,
  oneOf,
  optional,
  record,
  str,
} from './fields.js';

const exitRecord = record<ExitRecord>({ code: nullable(integer), signal: nullable(str), at: str });

const causeRecord = record<CauseRecord>({
  what: oneOf(['restart', 'failure']),
  kind: oneOf(CAUSE_KINDS),
  detail: str,
  at: str,
});

const healthResult = record<HealthResult>({ at: str, ok: bool, output: str });

const dependencyEdge = record<DependencyEdge>({
  service: str,
  condition: str,
  verdict: oneOf(['satisfied', 'pending', 'impossible']),
  reason: str,
  restart: bool,
});

const backoffState = record<BackoffState>({
  consecutiveCrashes: count,
  delayMs: nullable(nonNegative),
  restartAt: nullable(str),
});

/** The settings: any plain object (their keys are the config file's, which the config package owns). */
const settings: Check<{ readonly [key: string]: unknown }> = (value, path) => ({ ...obj(value, path) });

export function inspectRequests(configRef: Check<ConfigRef>): {
  readonly [K in keyof InspectRequests]: Check<InspectRequests[K]>;
} {
  return {
    inspect: record({
      type: literal('inspect'),
      config: configRef,
      service: nonEmptyStr,
      lines: optional(count),
    }),
  };
}

export function inspectResults(
  info: Check<ServiceInfo>,
  line: Check<LogLine>,
): { readonly [K in keyof InspectResults]: Check<InspectResults[K]> } {
  return {
    inspect: record<InspectResult>({
      info,
      settings,
      statusSince: nullable(str),
      lastExit: nullable(exitRecord),
      lastCause: nullable(causeRecord),
      backoff: backoffState,
      health: arrayOf(healthResult),
      dependencies: arrayOf(dependencyEdge),
      logs: arrayOf(line),
    }),
  };
}
