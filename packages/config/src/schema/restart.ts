/** `restart`: a policy (`restart: always`) or {policy, watch, backoff}, normalised to one shape. */
import type { Pos } from '../issues.js';
import type { RestartPolicy } from '../types.js';
import {
  byKind,
  duration,
  list,
  number,
  type ObjectOut,
  object,
  oneOf,
  type Schema,
  string,
  transform,
} from './kit/index.js';

/** The accepted values of `restart` / `restart.policy`. */
export const RESTART_POLICIES = ['no', 'always', 'on-failure'] as const satisfies readonly RestartPolicy[];

const backoffProps = {
  initial: duration({ minMs: 10, description: 'Delay before the first automatic restart (default 100ms).' }),
  multiplier: number({ min: 1, description: 'Factor applied to the delay after each restart (default 2).' }),
  max: duration({ minMs: 10, description: 'Longest delay (default 30s).' }),
  reset_after: duration({ description: 'Running this long resets the delay (default 10s).' }),
};
const backoff = object(backoffProps, { description: 'Exponential backoff between automatic restarts.' });
/** `restart.backoff` after decoding. */
export type NormalizedBackoff = ObjectOut<typeof backoffProps>;

const restartProps = {
  policy: oneOf(RESTART_POLICIES, { description: 'no (default) | always | on-failure.' }),
  watch: list(string(), {
    description:
      'Glob patterns, relative to the working_dir; a change restarts the service. Expanded ($VAR).',
  }),
  backoff,
  max_retries: number({
    integer: true,
    min: 0,
    description:
      'Automatic restarts in a row (none lasting reset_after) before the service stays failed (default: unlimited).',
  }),
};

/** `restart` after normalisation (string and map forms alike). */
export interface NormalizedRestart {
  readonly policy?: RestartPolicy;
  readonly watch?: string[];
  readonly backoff?: NormalizedBackoff;
  /** `max_retries`, or the N of compose's `on-failure:N`. */
  readonly maxRetries?: number;
  readonly pos: Pos;
  readonly watchPos?: Pos;
  readonly backoffPos?: Pos;
}

/** Compose's `on-failure:N`: on-failure with at most N automatic restarts in a row. */
const ON_FAILURE_N = /^on-failure:(.*)$/;

/** The string form: a policy, or `on-failure:N`. */
const scalarRestart: Schema<NormalizedRestart> = (() => {
  const policies = oneOf(RESTART_POLICIES);
  const self: Schema<NormalizedRestart> = {
    expected: policies.expected,
    json: () => ({
      anyOf: [policies.json(), { type: 'string', pattern: '^on-failure:\\d+$' }],
    }),
    decode(node, path, dc) {
      const capped =
        node.kind === 'scalar' && typeof node.value === 'string' && ON_FAILURE_N.exec(node.value);
      if (!capped) {
        const policy = policies.decode(node, path, dc);
        return policy === undefined ? undefined : { policy, pos: node.pos };
      }
      const n = capped[1]!;
      if (!/^\d+$/.test(n)) {
        dc.issues.add(
          path,
          `${JSON.stringify(n)} in ${JSON.stringify(capped[0])} is not a whole number of restarts (e.g. on-failure:3)`,
          node.pos,
        );
        return undefined;
      }
      return { policy: 'on-failure', maxRetries: Number(n), pos: node.pos };
    },
  };
  return self;
})();

export const restart: Schema<NormalizedRestart> = byKind<NormalizedRestart, NormalizedRestart>(
  {
    scalar: scalarRestart,
    map: transform(object(restartProps), (r) => ({
      ...(r.policy !== undefined ? { policy: r.policy } : {}),
      ...(r.watch !== undefined ? { watch: r.watch } : {}),
      ...(r.backoff !== undefined ? { backoff: r.backoff } : {}),
      ...(r.max_retries !== undefined ? { maxRetries: r.max_retries } : {}),
      pos: r.$pos,
      ...(r.$at.watch ? { watchPos: r.$at.watch } : {}),
      ...(r.$at.backoff ? { backoffPos: r.$at.backoff } : {}),
    })),
  },
  {
    expected: 'no, always, on-failure or a map of policy/watch/backoff',
    description:
      'Restart policy (on-failure:N caps the restarts, as compose does), or {policy, watch, backoff, max_retries}.',
  },
);
