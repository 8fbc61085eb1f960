import { stringify } from 'yaml';
import type { BakedConfig } from './types.js';

/** Options of `renderBakedConfig`. */
export interface RenderOptions {
  /**
   * Include `capturedEnv` (default true, so the output is the complete snapshot). `kepler config` may
   * pass false to keep the user's whole shell environment off the screen.
   */
  readonly capturedEnv?: boolean;
}

/**
 * Renders a baked config as YAML or JSON (what `kepler config` prints). The output is the snapshot's
 * data as is: durations in ms, sizes in bytes, absolute paths; it is not the user's source format. The
 * YAML parses back (with YAML 1.1 or 1.2 rules) to exactly the JSON's data.
 */
export function renderBakedConfig(
  baked: BakedConfig,
  format: 'yaml' | 'json',
  options: RenderOptions = {},
): string {
  const data: Partial<BakedConfig> =
    options.capturedEnv === false ? (({ capturedEnv: _omit, ...rest }) => rest)(baked) : baked;
  if (format === 'json') return `${JSON.stringify(data, null, 2)}\n`;
  // YAML 1.1 rules quote every string a 1.1 parser would misread (`no`, `on`, `0755`); 1.2 parsers agree.
  return stringify(data, { version: '1.1', lineWidth: 0, aliasDuplicateObjects: false });
}
