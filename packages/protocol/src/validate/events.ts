/** The parsers of stream events, one per event type (`StreamEvent` in messages.ts). */

import type { StreamEvent } from '../messages.js';
import {
  arrayOf,
  bool,
  type Check,
  fail,
  literal,
  nullable,
  obj,
  optional,
  record,
  status,
  str,
} from './fields.js';
import { logLine, serviceInfo, snapshotNote, upPlan } from './results.js';
import { usageEvent } from './usage.js';

type EventType = StreamEvent['type'];

/** One parser per event type; an event type without one is a compile error. */
const EVENT_PARSERS: { readonly [K in EventType]: Check<Extract<StreamEvent, { type: K }>> } = {
  logLines: record({ type: literal('logLines'), lines: arrayOf(logLine) }),
  serviceStatusChanged: record({
    type: literal('serviceStatusChanged'),
    service: str,
    status,
    previous: status,
    reason: nullable(str),
    info: serviceInfo,
  }),
  progress: record({ type: literal('progress'), service: str, message: str }),
  ready: record({ type: literal('ready'), deferred: arrayOf(str) }),
  quiescent: record({ type: literal('quiescent') }),
  begun: record({
    type: literal('begun'),
    started: arrayOf(str),
    alreadyRunning: arrayOf(str),
    stale: optional(bool),
    snapshot: optional(snapshotNote),
  }),
  plan: record({ type: literal('plan'), plan: upPlan }),
  usage: usageEvent(serviceInfo), // usage.ts
};

function isEventType(s: string): s is EventType {
  return Object.hasOwn(EVENT_PARSERS, s);
}

export function streamEvent(value: unknown, path: string): StreamEvent {
  const o = obj(value, path);
  const type = str(o.type, `${path}.type`);
  if (!isEventType(type)) fail(`${path}.type`, `unknown event type ${JSON.stringify(type.slice(0, 40))}`);
  return EVENT_PARSERS[type](o, path);
}
