/** The parsers of the ad-hoc requests (`kepler run`, `kepler rm`): `adhocAdd`, `adhocRemove`. */

import type { AdhocCaller, AdhocService } from '../adhoc.js';
import type { Requests } from '../messages.js';
import {
  absolutePath,
  arrayOf,
  type Check,
  count,
  describe,
  fail,
  literal,
  nonEmptyStr,
  oneOf,
  optional,
  record,
  str,
  strings,
} from './fields.js';

/** `KEY=VALUE` with a non-empty key. */
function assignment(value: unknown, path: string): string {
  const s = str(value, path);
  if (s.indexOf('=') <= 0) fail(path, `must be KEY=VALUE, got ${describe(s)}`);
  return s;
}

function argv(value: unknown, path: string): string[] {
  const list = arrayOf(str)(value, path);
  if (list.length === 0 || list[0] === '') fail(path, 'must name a command');
  return list;
}

const caller = record<AdhocCaller>({ uid: count, gid: count });

const service = record<AdhocService>({
  name: optional(nonEmptyStr),
  command: argv,
  workingDir: absolutePath,
  environment: arrayOf(assignment),
  restart: oneOf(['no', 'always', 'on-failure']),
  user: optional(nonEmptyStr),
});

export const adhocAdd: Check<Requests['adhocAdd']> = record({
  type: literal('adhocAdd'),
  caller,
  service,
});

export const adhocRemove: Check<Requests['adhocRemove']> = record({
  type: literal('adhocRemove'),
  caller,
  services: strings,
});
