import { stringify } from 'yaml';
import type { BakedConfig, BakedHook, BakedService } from './types.js';

/** Options of `renderBakedConfig`. */
export interface RenderOptions {
  /**
   * Include `capturedEnv` (default true, so the output is the complete snapshot). `kepler config` may
   * pass false to keep the user's whole shell environment off the screen.
   */
  readonly capturedEnv?: boolean;
  /**
   * Show each hook as written: `run:` for a `run` hook (not also the `command: [sh, -c, ...]` it bakes
   * to), `command:` otherwise. Default false: the snapshot needs both fields to be read back.
   */
  readonly hooksAsWritten?: boolean;
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
  let data: Partial<BakedConfig> =
    options.capturedEnv === false ? (({ capturedEnv: _omit, ...rest }) => rest)(baked) : baked;
  if (options.hooksAsWritten === true) data = withHooksAsWritten(data);
  if (format === 'json') return `${JSON.stringify(data, null, 2)}\n`;
  // YAML 1.1 rules quote every string a 1.1 parser would misread (`no`, `on`, `0755`); 1.2 parsers agree.
  return stringify(data, { version: '1.1', lineWidth: 0, aliasDuplicateObjects: false });
}

type Hooks = Readonly<Partial<Record<string, BakedHook>>>;

/** Each hook with `run` or `command`, whichever the user wrote. */
function withHooksAsWritten(data: Partial<BakedConfig>): Partial<BakedConfig> {
  const hooks = (all: Hooks | undefined): Hooks | undefined => {
    if (all === undefined) return undefined;
    const out: Record<string, unknown> = {};
    for (const [name, hook] of Object.entries(all)) {
      if (hook === undefined) continue;
      const { command, run, ...rest } = hook;
      out[name] = run === null ? { command, ...rest } : { run, ...rest };
    }
    return out as Hooks;
  };
  const services: Record<string, BakedService> = {};
  for (const [name, service] of Object.entries(data.services ?? {}))
    services[name] = { ...service, hooks: hooks(service.hooks) ?? {} } as BakedService;
  return {
    ...data,
    ...(data.kepler ? { kepler: { ...data.kepler, hooks: hooks(data.kepler.hooks) ?? {} } } : {}),
    ...(data.services ? { services } : {}),
  } as Partial<BakedConfig>;
}
