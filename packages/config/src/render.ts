import { stringify } from 'yaml';
import type { BakedConfig } from './types.js';

export interface RenderOptions {
  /**
   * Include `capturedEnv` (default true, so the output is the complete snapshot). `kepler config` may
   * pass false to keep the user's whole shell environment off the screen.
   */
  readonly capturedEnv?: boolean;
}

/**
 * Renders a baked config as YAML or JSON (what `kepler config` prints). The output is the snapshot's
 * data as is: durations in ms, sizes in bytes, absolute paths. YAML output round-trips through any YAML
 * parser to the same data; it is not the user's source format.
 */
export function renderBakedConfig(baked: BakedConfig, format: 'yaml' | 'json', options: RenderOptions = {}): string {
  const data: Partial<BakedConfig> =
    options.capturedEnv === false ? (({ capturedEnv: _omit, ...rest }) => rest)(baked) : baked;
  if (format === 'json') return `${JSON.stringify(data, null, 2)}\n`;
  return stringify(data, { lineWidth: 0, aliasDuplicateObjects: false });
}
