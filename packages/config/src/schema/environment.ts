/** `environment`: a list of `KEY=value` or a map of `KEY: value`, normalised to entries in order. */
import { splitAssignment } from '../grammar.js';
import type { Pos } from '../issues.js';
import { byKind, list, record, type Schema, string, transform } from './kit/index.js';

/** One `KEY=value` entry (value not yet expanded). */
export interface NormalizedEnvEntry {
  readonly key: string;
  readonly value: string;
  readonly pos: Pos;
}

function envKeyProblem(key: string): string | undefined {
  if (key === '') return 'the variable name is empty';
  if (key.includes('=') || key.includes('\0')) return `${JSON.stringify(key)} is not a valid variable name`;
  return undefined;
}

const envListEntry: Schema<NormalizedEnvEntry> = transform(string(), (entry, node, path, dc) => {
  const set = splitAssignment(entry);
  if (set === null) {
    dc.issues.add(
      path,
      `${JSON.stringify(entry)} is not KEY=value (write ${entry}=\${${entry}} to pass it from the environment)`,
      node.pos,
    );
    return undefined;
  }
  const problem = envKeyProblem(set.key);
  if (problem) {
    dc.issues.add(path, `${JSON.stringify(entry)}: ${problem}`, node.pos);
    return undefined;
  }
  return { key: set.key, value: set.value, pos: node.pos };
});

export const environment: Schema<NormalizedEnvEntry[]> = byKind(
  {
    seq: list(envListEntry),
    map: transform(record(string({ coerce: true })), (entries, _node, path, dc) => {
      let ok = true;
      const out: NormalizedEnvEntry[] = [];
      for (const entry of entries) {
        const problem = envKeyProblem(entry.key);
        if (problem) {
          dc.issues.add(`${path}.${entry.key}`, problem, entry.keyPos);
          ok = false;
        } else out.push({ key: entry.key, value: entry.value, pos: entry.pos });
      }
      return ok ? out : undefined;
    }),
  },
  {
    expected: 'a list of KEY=value strings or a map of KEY: value',
    description:
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell expansion syntax, shown literally
      'Environment variables, as a list of `KEY=value` or a map of `KEY: value`. Values are expanded in order ($VAR, ${VAR}, ${VAR:-default}, ${VAR:+value}, ${VAR:?message}, ~, $$), each seeing the entries before it.',
  },
);
