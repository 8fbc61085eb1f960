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
};

/** `restart` after normalisation (string and map forms alike). */
export interface NormalizedRestart {
  readonly policy?: RestartPolicy;
  readonly watch?: string[];
  readonly backoff?: NormalizedBackoff;
  readonly pos: Pos;
  readonly watchPos?: Pos;
  readonly backoffPos?: Pos;
}

export const restart: Schema<NormalizedRestart> = byKind<NormalizedRestart, NormalizedRestart>(
  {
    scalar: transform(oneOf(RESTART_POLICIES), (policy, node) => ({ policy, pos: node.pos })),
    map: transform(object(restartProps), (r) => ({
      ...(r.policy !== undefined ? { policy: r.policy } : {}),
      ...(r.watch !== undefined ? { watch: r.watch } : {}),
      ...(r.backoff !== undefined ? { backoff: r.backoff } : {}),
      pos: r.$pos,
      ...(r.$at.watch ? { watchPos: r.$at.watch } : {}),
      ...(r.$at.backoff ? { backoffPos: r.$at.backoff } : {}),
    })),
  },
  {
    expected: 'no, always, on-failure or a map of policy/watch/backoff',
    description: 'Restart policy, or {policy, watch, backoff}.',
  },
);
