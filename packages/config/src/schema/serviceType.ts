/**
 * How a service's process behaves and how it is stopped: `type` (simple, oneshot, forking), the
 * forking type's `pid_file` and `start_timeout`, and `stop_command`. Kept apart from service.ts so
 * the rules that tie these keys together live beside them.
 */
import type { IssueCollector } from '../issues.js';
import { SERVICE_TYPES } from '../types.js';
import { byKind, duration, list, type ObjectOut, oneOf, string, transform } from './kit/index.js';

export const serviceType = oneOf(SERVICE_TYPES, {
  description:
    '`simple` (default): the command is the service. `oneshot`: the command is expected to exit; exit 0 is success (`exited`) and dependents wait for it by default (service_completed_successfully). `forking`: the command daemonises; the process named by `pid_file` is supervised.',
});

export const pidFile = string({
  minLength: 1,
  description:
    "Where a `type: forking` service's daemon writes its pid; relative to the service's working_dir. Expanded ($VAR, ~).",
});

export const startTimeout = duration({
  minMs: 1,
  description:
    'How long a `type: forking` service may take for its command to exit and its pid file to name a live process (default 30s).',
});

export const stopCommand = byKind(
  {
    scalar: transform(string({ minLength: 1 }), (script) => ['sh', '-c', script]),
    seq: list(string(), { minItems: 1 }),
  },
  {
    expected: 'a list or a string',
    description:
      'Run to stop the service, as its user with its environment: an argv list, or a string run as `sh -c <string>`. If the service has not exited after stop_grace_period, the stop signal and then SIGKILL follow. Not expanded.',
  },
);

/** The service keys this file defines, as service.ts spreads them into its props. */
export const serviceTypeProps = {
  type: serviceType,
  pid_file: pidFile,
  start_timeout: startTimeout,
  stop_command: stopCommand,
};
/** The decoded keys of this file, in a service (whose other keys do not matter here). */
type TypeFields = Omit<ObjectOut<typeof serviceTypeProps>, '$invalid'> & {
  readonly $invalid: ReadonlySet<string>;
};

/** Cross-key rules: pid_file and start_timeout belong to `type: forking`, which needs a pid_file. */
export function validateServiceType(path: string, s: TypeFields, issues: IssueCollector): void {
  const type = s.type ?? 'simple';
  if (s.$invalid.has('type')) return; // already reported; its companions cannot be judged
  if (type === 'forking' && s.pid_file === undefined && !s.$invalid.has('pid_file')) {
    issues.add(
      `${path}.type`,
      'type: forking needs pid_file (the file where the daemonised process writes its pid)',
      s.$at.type,
    );
  }
  for (const key of ['pid_file', 'start_timeout'] as const) {
    if (type !== 'forking' && s.$at[key] !== undefined) {
      issues.add(`${path}.${key}`, `${key} applies only to type: forking (type is ${type})`, s.$at[key]);
    }
  }
  if (s.stop_command !== undefined && (s.stop_command.length === 0 || s.stop_command[0] === '')) {
    issues.add(`${path}.stop_command`, 'stop_command is empty', s.$at.stop_command);
  }
}
