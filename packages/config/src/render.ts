import { stringify } from 'yaml';
import type { BakedConfig } from './types.js';

/**
 * Renders a baked config as YAML or JSON in its internal shape: the daemon's snapshot
 * (`expanded_config.yaml`), read back as a `BakedConfig`. Durations in ms, sizes in bytes, absolute
 * paths, internal names, the captured environment included. What users read (`kepler config`) is the
 * file's vocabulary instead: see `fileVocabulary.ts`. The YAML parses back (with YAML 1.1 or 1.2
 * rules) to exactly the JSON's data.
 */
export function renderBakedConfig(baked: BakedConfig, format: 'yaml' | 'json'): string {
  if (format === 'json') return `${JSON.stringify(baked, null, 2)}\n`;
  // YAML 1.1 rules quote every string a 1.1 parser would misread (`no`, `on`, `0755`); 1.2 parsers agree.
  return stringify(baked, { version: '1.1', lineWidth: 0, aliasDuplicateObjects: false });
}
