/**
 * The parsers of the usage family (`top`, `metrics`: usageMessages.ts): its requests, results and
 * event. requests.ts, results.ts and events.ts list them in their tables, handing in the checkers
 * of the records they share (a config ref, a service's info): this module imports neither of them.
 */

import type { ConfigRef, ServiceInfo } from '../messages.js';
import type { ServiceUsage, TopSnapshot, UsageEvent, UsageRequests, UsageResults } from '../usageMessages.js';
import {
  arrayOf,
  bool,
  type Check,
  literal,
  nonNegative,
  nullable,
  oneOf,
  optional,
  record,
  str,
} from './fields.js';

const serviceUsage = record<ServiceUsage>({
  config: str,
  service: str,
  cpuSeconds: nullable(nonNegative),
  cpuPercent: nullable(nonNegative),
  memoryBytes: nullable(nonNegative),
  source: nullable(oneOf(['cgroup', 'proc'])),
});

function snapshotFields(info: Check<ServiceInfo>) {
  return { sampledAt: nonNegative, services: arrayOf(info), usage: arrayOf(serviceUsage) };
}

export function usageRequests(configRef: Check<ConfigRef>): {
  readonly [K in keyof UsageRequests]: Check<UsageRequests[K]>;
} {
  return {
    top: record({
      type: literal('top'),
      config: optional(configRef),
      all: optional(bool),
      follow: optional(bool),
    }),
    metrics: record({ type: literal('metrics') }),
  };
}

export function usageResults(info: Check<ServiceInfo>): {
  readonly [K in keyof UsageResults]: Check<UsageResults[K]>;
} {
  return {
    top: record({ ...snapshotFields(info), loaded: optional(bool) }),
    metrics: record({ contentType: str, text: str }),
  };
}

export function usageEvent(info: Check<ServiceInfo>): Check<UsageEvent> {
  return record({ type: literal('usage'), snapshot: record<TopSnapshot>(snapshotFields(info)) });
}
