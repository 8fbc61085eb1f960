/**
 * Stage 2, normalise: `RawConfig` -> `NormalizedConfig` by decoding with `CONFIG_SCHEMA`. Every type
 * error, unknown key (with a did-you-mean) and grammar error is reported; shorthand forms are expanded.
 */
import type { IssueCollector } from './issues.js';
import type { RawConfig } from './parse.js';
import { CONFIG_SCHEMA, type NormalizedConfig } from './schema/index.js';

/** Decodes `raw` (Lua already evaluated). Returns null only when the root is not a map at all. */
export function normalizeConfig(raw: RawConfig, issues: IssueCollector): NormalizedConfig | null {
  if (raw.root.kind !== 'map') {
    if (raw.root.kind !== 'errored') {
      issues.add('', 'a config must be a map with a `services:` key', raw.root.pos);
    }
    return null;
  }
  return CONFIG_SCHEMA.decode(raw.root, '', { issues }) ?? null;
}
