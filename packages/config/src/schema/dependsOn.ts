/** `depends_on`: a list of names or a map of name to {condition, timeout, restart, exit_code, wait}. */
import { GrammarError, parseExitCodeFilter } from '../grammar.js';
import { indexPath, type Pos } from '../issues.js';
import type { RawNode } from '../parse.js';
import { DEPENDENCY_CONDITIONS, type ExitCodeRange } from '../types.js';
import {
  boolean,
  byKind,
  type DecodeContext,
  describeNode,
  duration,
  list,
  nothing,
  type ObjectOut,
  object,
  oneOf,
  record,
  type Schema,
  string,
  transform,
} from './kit/index.js';

const exitCodeFilter: Schema<ExitCodeRange[]> = (() => {
  const item = {
    anyOf: [{ type: 'integer' }, { type: 'string', pattern: '^\\s*-?\\d+\\s*(:\\s*-?\\d+\\s*)?$' }],
  };
  const self: Schema<ExitCodeRange[]> = {
    expected: 'a list of exit codes and "a:b" ranges',
    json: () => ({
      description: 'Exit codes and inclusive "a:b" ranges, e.g. [5, "1:10"].',
      anyOf: [{ type: 'array', items: item }, item],
    }),
    decode(node: RawNode, path: string, dc: DecodeContext) {
      const items = node.kind === 'seq' ? node.items : [node];
      const out: ExitCodeRange[] = [];
      let ok = true;
      items.forEach((child, i) => {
        const childPath = node.kind === 'seq' ? indexPath(path, i) : path;
        if (child.kind !== 'scalar' || (typeof child.value !== 'number' && typeof child.value !== 'string')) {
          if (child.kind !== 'errored')
            dc.issues.add(
              childPath,
              `expected an exit code or "a:b" range, got ${describeNode(child)}`,
              child.pos,
            );
          ok = false;
          return;
        }
        try {
          out.push(...parseExitCodeFilter(child.value));
        } catch (error) {
          if (!(error instanceof GrammarError)) throw error;
          dc.issues.add(childPath, error.message, child.pos);
          ok = false;
        }
      });
      return ok ? out : undefined;
    },
  };
  return self;
})();

const dependencyProps = {
  condition: oneOf(DEPENDENCY_CONDITIONS, {
    description: 'When the dependency counts as ready (default service_started).',
  }),
  timeout: duration({
    description: 'How long to wait for the condition (default: kepler.timeout, else no limit).',
  }),
  restart: boolean({ description: 'Restart this service when the dependency restarts (default false).' }),
  exit_code: exitCodeFilter,
  wait: boolean({
    description: 'Whether `start --wait` blocks on this edge (default: true for startup conditions).',
  }),
  required: boolean({
    description:
      'false: a soft edge; the dependent starts anyway when the dependency fails, is stopped or can never meet the condition (default true).',
  }),
};
const dependencyObject = object(dependencyProps, { description: 'A dependency edge.' });

/** One `depends_on` edge before defaults. `spec` is absent for the list form and for `name:` with no value. */
export interface NormalizedDependency {
  readonly name: string;
  readonly namePos: Pos;
  readonly spec?: ObjectOut<typeof dependencyProps>;
}

export const dependsOn: Schema<NormalizedDependency[]> = byKind<
  never,
  NormalizedDependency[],
  NormalizedDependency[]
>(
  {
    seq: list(transform(string(), (name, node) => ({ name, namePos: node.pos }))),
    map: transform(
      record(
        byKind<never, ObjectOut<typeof dependencyProps>, never, null>(
          { map: dependencyObject, null: nothing(() => null) },
          { expected: 'a map of condition/timeout/restart/exit_code/wait' },
        ),
      ),
      (entries) =>
        entries.map((entry) => ({
          name: entry.key,
          namePos: entry.keyPos,
          ...(entry.value ? { spec: entry.value } : {}),
        })),
    ),
  },
  {
    expected: 'a list of service names or a map of name: {condition, ...}',
    description:
      'Services this one depends on: a list of names, or a map of name to {condition, timeout, restart, exit_code, wait}.',
  },
);
