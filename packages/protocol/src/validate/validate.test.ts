import { FrameError, ProtocolError } from '../errors.js';
import { type RequestType, SERVICE_STATUSES } from '../messages.js';
import { EVENT_SAMPLES, REQUEST_SAMPLES, RESULT_SAMPLES, serviceInfo } from '../testkit/samples.js';
import {
  frameIdOf,
  helloProtocolOf,
  isRequestType,
  parseClientFrame,
  parseDaemonEnvelope,
  parseDaemonFrame,
  parseResult,
  requestIdOf,
} from './index.js';

function rejection(fn: () => unknown): ProtocolError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ProtocolError) return error;
    throw error;
  }
  throw new Error('expected a ProtocolError');
}

function badRequest(value: unknown): string {
  const err = rejection(() => parseClientFrame(value));
  expect(err.code).toBe('BAD_REQUEST');
  expect(err.message).not.toContain('\n');
  return err.message;
}

const req = (request: unknown) => ({ kind: 'request', id: 1, request });
const config = { path: '/etc/app.yaml', env: {} };
const requestTypes = Object.keys(REQUEST_SAMPLES).filter(isRequestType);

describe('isRequestType', () => {
  it('knows every request type and nothing inherited', () => {
    for (const t of requestTypes) expect(isRequestType(t)).toBe(true);
    for (const t of ['toString', '__proto__', 'constructor', 'hasOwnProperty', '', 'Hello', 42, null]) {
      expect(isRequestType(t)).toBe(false);
    }
  });
});

describe('parseClientFrame rejects', () => {
  it.each([
    [5, 'bad request: frame: expected an object, got the number 5'],
    [[1, 2], 'bad request: frame: expected an object, got an array'],
    [null, 'bad request: frame: expected an object, got null'],
    [new Map(), 'bad request: frame: expected an object, got a non-plain object'],
    [{ id: 1 }, 'bad request: kind: expected one of request, cancel, got nothing'],
    [
      { kind: 'request', id: -1, request: { type: 'status' } },
      'bad request: id: expected a whole number >= 0, got the number -1',
    ],
    [{ kind: 'cancel', id: 1.5 }, 'bad request: id: expected a whole number >= 0, got the number 1.5'],
    [{ kind: 'cancel', id: '3' }, 'bad request: id: expected a whole number >= 0, got the string "3"'],
    [req(undefined), 'bad request: request: expected an object, got nothing'],
    [req({}), 'bad request: request.type: expected a string, got nothing'],
    [req({ type: 'explode' }), 'bad request: request.type: unknown request type "explode"'],
    [req({ type: 'toString' }), 'bad request: request.type: unknown request type "toString"'],
    [
      req({ type: 'hello', protocol: '1', client: 'x' }),
      'bad request: request.protocol: expected a whole number >= 0, got the string "1"',
    ],
    [
      req({ type: 'start', config, services: [], mode: 'later' }),
      'bad request: request.mode: expected one of detach, wait, follow, got the string "later"',
    ],
    [
      req({ type: 'start', config, services: ['a', 2], mode: 'wait' }),
      'bad request: request.services[1]: expected a string, got the number 2',
    ],
    [req({ type: 'stop', config, services: [''] }), 'bad request: request.services[0]: must not be empty'],
    [
      req({ type: 'stop', config: { path: 'rel/app.yaml', env: {} }, services: [] }),
      'bad request: request.config.path: must be an absolute path, got the string "rel/app.yaml"',
    ],
    [
      req({ type: 'recreate', config: { path: '/a.yaml', env: { FOO: 1 } } }),
      'bad request: request.config.env.FOO: expected a string, got the number 1',
    ],
    [
      req({ type: 'recreate', config: { path: '/a.yaml' } }),
      'bad request: request.config.env: expected an object, got nothing',
    ],
    [
      req({ type: 'logs', config, services: [], tail: -1 }),
      'bad request: request.tail: expected a whole number >= 0, got the number -1',
    ],
    [
      req({ type: 'logs', config, services: [], head: 2.5 }),
      'bad request: request.head: expected a whole number >= 0, got the number 2.5',
    ],
    [
      req({ type: 'logs', config, services: [], since: '10m' }),
      'bad request: request.since: expected a whole number >= 0, got the string "10m"',
    ],
    [
      req({ type: 'stop', config, services: [], signal: null }),
      'bad request: request.signal: expected a string, got null',
    ],
    [
      req({ type: 'ps', all: 'yes' }),
      'bad request: request.all: expected true or false, got the string "yes"',
    ],
    [
      req({ type: 'ps', config: new Set() }),
      'bad request: request.config: expected an object, got a non-plain object',
    ],
    [
      req({ type: 'recreate', config: { ...config, overlays: ['relative.yaml'] } }),
      'bad request: request.config.overlays[0]: must be an absolute path, got the string "relative.yaml"',
    ],
    [
      req({ type: 'prune', dryRun: 1 }),
      'bad request: request.dryRun: expected true or false, got the number 1',
    ],
    [
      req({
        type: 'adhocAdd',
        caller: { uid: 0, gid: 0 },
        service: { command: [], workingDir: '/', environment: [], restart: 'no' },
      }),
      'bad request: request.service.command: must name a command',
    ],
    [
      req({
        type: 'adhocAdd',
        caller: { uid: 0, gid: 0 },
        service: { command: ['x'], workingDir: '/', environment: ['NOEQUALS'], restart: 'no' },
      }),
      'bad request: request.service.environment[0]: must be KEY=VALUE, got the string "NOEQUALS"',
    ],
    [
      req({
        type: 'adhocAdd',
        caller: { uid: 0, gid: 0 },
        service: { command: ['x'], workingDir: 'rel', environment: [], restart: 'no' },
      }),
      'bad request: request.service.workingDir: must be an absolute path, got the string "rel"',
    ],
    [
      req({ type: 'start', config, services: [], mode: 'wait', timeoutMs: Number.NaN }),
      'bad request: request.timeoutMs: expected a number >= 0, got NaN',
    ],
    [
      // A timer cannot hold 25 days: it would fire at once.
      req({ type: 'start', config, services: [], mode: 'wait', timeoutMs: 25 * 86_400_000 }),
      'bad request: request.timeoutMs: expected at most 2073600000, got 2160000000',
    ],
  ])('%j', (value, message) => {
    expect(badRequest(value)).toBe(message);
  });

  // Every field of every request: [type, field, required?], from the samples (minimal and full).
  const fieldCases = requestTypes.flatMap((type: RequestType) => {
    const samples: readonly object[] = REQUEST_SAMPLES[type];
    const minimal = samples[0]!;
    const full = samples[samples.length - 1]!;
    return Object.keys(full)
      .filter((k) => k !== 'type')
      .map((field) => [type, field, field in minimal, full] as const);
  });

  it.each(fieldCases)('%s with a wrong %s, naming the field', (_type, field, _required, full) => {
    const message = badRequest(req({ ...full, [field]: -1.5 }));
    expect(message.startsWith(`bad request: request.${field}`)).toBe(true);
  });

  it.each(fieldCases.filter(([, , required]) => required))(
    '%s without its required %s',
    (_type, field, _r, full) => {
      const request: Record<string, unknown> = { ...full };
      delete request[field];
      expect(badRequest(req(request)).startsWith(`bad request: request.${field}`)).toBe(true);
    },
  );
});

describe('parseClientFrame accepts', () => {
  it('drops unknown fields a newer client may add', () => {
    expect(
      parseClientFrame({ kind: 'request', id: 3, extra: 1, request: { type: 'status', newField: true } }),
    ).toStrictEqual({
      kind: 'request',
      id: 3,
      request: { type: 'status' },
    });
  });

  it('builds a new object rather than returning the decoded one', () => {
    const value = { kind: 'request', id: 1, request: { type: 'ps', config } };
    const frame = parseClientFrame(value);
    expect(frame).not.toBe(value);
    if (frame.kind !== 'request' || frame.request.type !== 'ps') throw new Error('unexpected');
    expect(frame.request.config).not.toBe(config);
  });
});

describe('requestIdOf / frameIdOf', () => {
  it('finds the id of an invalid request so it can be answered', () => {
    expect(requestIdOf({ kind: 'request', id: 9, request: { type: 'nope' } })).toBe(9);
    expect(requestIdOf({ kind: 'cancel', id: 9 })).toBeUndefined();
    expect(requestIdOf({ kind: 'request', id: -2 })).toBeUndefined();
    expect(requestIdOf({ id: 9 })).toBeUndefined();
    expect(requestIdOf('x')).toBeUndefined();
    expect(frameIdOf({ id: 4 })).toBe(4);
    expect(frameIdOf({ id: 4.5 })).toBeUndefined();
  });
});

describe('parseDaemonFrame', () => {
  function badFrame(fn: () => unknown): string {
    const err = rejection(fn);
    expect(err).toBeInstanceOf(FrameError);
    expect(err.code).toBe('BAD_FRAME');
    return err.message;
  }

  it('checks a result against the request it answers', () => {
    const result = { services: [{ ...serviceInfo, status: 'sleeping' }] };
    expect(badFrame(() => parseDaemonFrame({ kind: 'response', id: 1, ok: true, result }, () => 'ps'))).toBe(
      `invalid daemon frame: result.services[0].status: expected one of ${SERVICE_STATUSES.join(', ')}, got the string "sleeping"`,
    );
    // The same object is not a valid `stop` result.
    expect(
      badFrame(() =>
        parseDaemonFrame({ kind: 'response', id: 1, ok: true, result: RESULT_SAMPLES.ps[1] }, () => 'stop'),
      ),
    ).toBe('invalid daemon frame: result.stopped: expected an array, got nothing');
  });

  it('checks the optional count of log lines not stored', () => {
    const ps = (logsNotStored: unknown) => ({
      kind: 'response',
      id: 1,
      ok: true,
      result: { services: [{ ...serviceInfo, logsNotStored }] },
    });
    expect(badFrame(() => parseDaemonFrame(ps(-1), () => 'ps'))).toMatch(
      /^invalid daemon frame: result\.services\[0\]\.logsNotStored: /,
    );
    expect(badFrame(() => parseDaemonFrame(ps('56'), () => 'ps'))).toMatch(/logsNotStored/);
    const ok = parseDaemonFrame(ps(56), () => 'ps');
    expect(ok).toMatchObject({ result: { services: [{ logsNotStored: 56 }] } });
    // Absent stays absent (older daemons send none).
    expect(parseDaemonFrame(ps(undefined), () => 'ps')).toMatchObject({
      result: { services: [expect.not.objectContaining({ logsNotStored: expect.anything() })] },
    });
    expect(JSON.stringify(parseDaemonFrame(ps(undefined), () => 'ps'))).not.toContain('logsNotStored');
  });

  it('checks the optional unmet soft dependencies of a service', () => {
    const ps = (unmetDependencies: unknown) => ({
      kind: 'response',
      id: 1,
      ok: true,
      result: { services: [{ ...serviceInfo, unmetDependencies }] },
    });
    const unmet = [{ service: 'db', reason: 'db failed and will not restart (needed service_started)' }];
    expect(parseDaemonFrame(ps(unmet), () => 'ps')).toMatchObject({
      result: { services: [{ unmetDependencies: unmet }] },
    });
    expect(badFrame(() => parseDaemonFrame(ps([{ service: 'db' }]), () => 'ps'))).toMatch(
      /^invalid daemon frame: result\.services\[0\]\.unmetDependencies\[0\]\.reason: /,
    );
    expect(JSON.stringify(parseDaemonFrame(ps(undefined), () => 'ps'))).not.toContain('unmetDependencies');
  });

  it('checks the optional config warnings of a ps result', () => {
    const services = [serviceInfo];
    const ok = { services, warnings: [{ config: '/a/kepler.yaml', message: 'state.json was invalid' }] };
    expect(parseDaemonFrame({ kind: 'response', id: 1, ok: true, result: ok }, () => 'ps')).toEqual({
      kind: 'response',
      id: 1,
      ok: true,
      result: ok,
    });
    const bad = { services, warnings: [{ config: '/a/kepler.yaml', message: null }] };
    expect(
      badFrame(() => parseDaemonFrame({ kind: 'response', id: 1, ok: true, result: bad }, () => 'ps')),
    ).toBe('invalid daemon frame: result.warnings[0].message: expected a string, got null');
  });

  it('rejects an ok response for a request nobody sent', () => {
    expect(
      badFrame(() => parseDaemonFrame({ kind: 'response', id: 5, ok: true, result: {} }, () => undefined)),
    ).toBe('invalid daemon frame: id: no request 5 is pending');
  });

  it('rejects unknown event types, kinds and bad binary', () => {
    expect(badFrame(() => parseDaemonEnvelope({ kind: 'event', id: 1, event: { type: 'boom' } }))).toBe(
      'invalid daemon frame: event.type: unknown event type "boom"',
    );
    expect(badFrame(() => parseDaemonEnvelope({ kind: 'push', id: 1 }))).toBe(
      'invalid daemon frame: kind: expected one of response, event, got the string "push"',
    );
    const line = { ts: 1, service: 's', hook: null, stream: 'stdout', line: 'text' };
    expect(
      badFrame(() =>
        parseDaemonEnvelope({ kind: 'event', id: 1, event: { type: 'logLines', lines: [line] } }),
      ),
    ).toBe('invalid daemon frame: event.lines[0].line: expected binary data, got the string "text"');
  });

  it('keeps an error code it does not know as INTERNAL with the code in the message', () => {
    expect(
      parseDaemonEnvelope({
        kind: 'response',
        id: 1,
        ok: false,
        error: { code: 'DISK_FULL', message: 'no space' },
      }),
    ).toStrictEqual({
      kind: 'response',
      id: 1,
      ok: false,
      error: { code: 'INTERNAL', message: 'DISK_FULL: no space' },
    });
  });

  it('rejects a cleared log with an unknown retention setting', () => {
    const result = { lines: 0, cleared: [{ service: 'web', by: 'on_reboot' }] };
    expect(badFrame(() => parseResult('logs', result))).toMatch(
      /^invalid daemon frame: result\.cleared\[0\]\.by: unknown retention setting "on_reboot"/,
    );
  });

  /** Optional result fields: a sample without them is still valid. */
  const OPTIONAL_RESULT_KEYS = new Set(['failure', 'loaded', 'cleared', 'warnings', 'stale', 'containment']);
  // Snapshot notes (snapshotNotes.ts).
  for (const key of ['snapshot', 'snapshots']) OPTIONAL_RESULT_KEYS.add(key);
  /** Optional event fields. */
  const OPTIONAL_EVENT_KEYS = new Set(['type', 'stale']);
  OPTIONAL_EVENT_KEYS.add('snapshot');

  it('checks every sample result and event, and rejects each with a field removed', () => {
    for (const type of requestTypes) {
      for (const result of RESULT_SAMPLES[type]) {
        expect(parseResult(type, result)).toEqual(result);
        for (const key of Object.keys(result)) {
          if (OPTIONAL_RESULT_KEYS.has(key)) continue;
          const broken: Record<string, unknown> = { ...result };
          delete broken[key];
          expect(badFrame(() => parseResult(type, broken))).toMatch(
            new RegExp(`^invalid daemon frame: result\\.${key}: `),
          );
        }
      }
    }
    for (const events of Object.values(EVENT_SAMPLES)) {
      for (const event of events) {
        for (const key of Object.keys(event).filter((k) => !OPTIONAL_EVENT_KEYS.has(k))) {
          const broken: Record<string, unknown> = { ...event };
          delete broken[key];
          expect(badFrame(() => parseDaemonEnvelope({ kind: 'event', id: 1, event: broken }))).toMatch(
            new RegExp(`^invalid daemon frame: event\\.${key}: `),
          );
        }
      }
    }
  });
});

describe('helloProtocolOf', () => {
  it('reads the daemon protocol from either hello answer, leniently', () => {
    expect(helloProtocolOf({ kind: 'response', id: 1, ok: true, result: { protocol: 7 } })).toBe(7);
    expect(
      helloProtocolOf({
        kind: 'response',
        id: 1,
        ok: false,
        error: { code: 'PROTOCOL_MISMATCH', data: { protocol: 3 } },
      }),
    ).toBe(3);
    expect(
      helloProtocolOf({
        kind: 'response',
        id: 1,
        ok: false,
        error: { code: 'INTERNAL', data: { protocol: 3 } },
      }),
    ).toBe(undefined);
    expect(helloProtocolOf({ kind: 'event', id: 1 })).toBeUndefined();
    expect(helloProtocolOf('garbage')).toBeUndefined();
  });
});

describe('snapshot notes', () => {
  it('rejects a note with a field missing or of another type', () => {
    const result = { started: [], alreadyRunning: [], deferred: [], services: [] };
    const snapshot = { config: '/a.yaml', overlays: ['/b.yaml'], changed: [] };
    expect(parseResult('start', { ...result, snapshot })).toEqual({ ...result, snapshot });
    expect(() => parseResult('start', { ...result, snapshot: { ...snapshot, changed: undefined } })).toThrow(
      /result\.snapshot\.changed: /,
    );
    expect(() =>
      parseResult('ps', { services: [], snapshots: [{ ...snapshot, overlays: '/b.yaml' }] }),
    ).toThrow(/result\.snapshots\[0\]\.overlays: /);
  });
});
