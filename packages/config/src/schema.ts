/**
 * The Kepler config schema, written once as data. `normalizeConfig` decodes with it and
 * `KEPLER_JSON_SCHEMA` (the editor schema, also written to kepler.schema.json) is generated from it.
 * Shorthand forms are normalised here: `restart: always` -> `{policy}`, a `depends_on` list -> edges,
 * an `environment` map -> entries, `store: false` -> `{stdout, stderr}`.
 */
import { GrammarError, parseExitCodeFilter, parseSize } from './grammar.js';
import { indexPath, type Pos } from './issues.js';
import type { RawNode } from './parse.js';
import {
  boolean,
  byKind,
  type DecodeContext,
  describeNode,
  duration,
  type JsonSchema,
  list,
  nothing,
  number,
  type ObjectOut,
  type Out,
  object,
  oneOf,
  record,
  type Schema,
  signal,
  size,
  string,
  transform,
} from './schemaKit.js';
import {
  DEPENDENCY_CONDITIONS,
  type DependencyCondition,
  type ExitCodeRange,
  GLOBAL_HOOK_NAMES,
  type RestartPolicy,
  SERVICE_HOOK_NAMES,
} from './types.js';

/** Reusable JSON Schema definitions: schemas registered here are emitted once and referenced by `$ref`. */
class Definitions {
  readonly entries = new Map<string, Schema<unknown>>();

  named<T>(name: string, schema: Schema<T>): Schema<T> {
    this.entries.set(name, schema as Schema<unknown>);
    return { ...schema, json: () => ({ $ref: `#/definitions/${name}` }) };
  }

  json(): JsonSchema {
    return Object.fromEntries([...this.entries].map(([name, schema]) => [name, schema.json()]));
  }
}
const defs = new Definitions();

/** Service names: lowercase letters, digits, `_` and `-`. */
/** Service names; `global` is reserved: global hooks log as `global.<hook>`. */
export const SERVICE_NAME_PATTERN = /^(?!global$)[a-z0-9_-]+$/;

/** The accepted values of `restart` / `restart.policy`, `sys_env` and `logs.retention.*`. */
export const RESTART_POLICIES = ['no', 'always', 'on-failure'] as const satisfies readonly RestartPolicy[];
export const SYS_ENV_POLICIES = ['clear', 'inherit'] as const;
export const RETENTION_ACTIONS = ['clear', 'retain'] as const;

/** True when a string will be changed by variable expansion (so checks must wait for the bake). */
export function hasExpansion(value: string): boolean {
  return value.includes('$') || value.startsWith('~');
}

// ---------------------------------------------------------------------------------------------------
// Environment

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
  const eq = entry.indexOf('=');
  if (eq < 0) {
    dc.issues.add(
      path,
      `${JSON.stringify(entry)} is not KEY=value (write ${entry}=\${${entry}} to pass it from the environment)`,
      node.pos,
    );
    return undefined;
  }
  const key = entry.slice(0, eq);
  const problem = envKeyProblem(key);
  if (problem) {
    dc.issues.add(path, `${JSON.stringify(entry)}: ${problem}`, node.pos);
    return undefined;
  }
  return { key, value: entry.slice(eq + 1), pos: node.pos };
});

const environment: Schema<NormalizedEnvEntry[]> = byKind(
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

// ---------------------------------------------------------------------------------------------------
// Small shared pieces

const commandList = list(string(), {
  minItems: 1,
  description:
    'The program and its arguments, e.g. ["sh", "-c", "echo hi"]. Not expanded: use a shell for $VAR.',
});

const user = string({
  coerce: true,
  description: 'User to run as: a name, a uid, or uid:gid. Expanded ($VAR).',
});
const group = string({
  coerce: true,
  description: 'Primary group override: a name or a gid. Expanded ($VAR).',
});
const workingDir = string({
  minLength: 1,
  description: 'Working directory, relative to the config directory. Expanded ($VAR, ~).',
});
const envFile = string({
  minLength: 1,
  description:
    'An env file (docker compose syntax), relative to the config directory. Its path is expanded ($VAR, ~).',
});
const sysEnv = oneOf(SYS_ENV_POLICIES, {
  description:
    '`clear` (default): start from an empty environment. `inherit`: start from the environment captured from the CLI.',
});

// ---------------------------------------------------------------------------------------------------
// Hooks

const hookProps = {
  run: string({ description: 'A shell script, run as `sh -c <run>`. Not expanded.' }),
  command: list(string(), { minItems: 1, description: 'A command as an argv list. Not expanded.' }),
  user,
  group,
  working_dir: string({
    minLength: 1,
    description:
      "Working directory; relative paths resolve against the service's working_dir (or the config directory).",
  }),
  environment,
  env_file: envFile,
};
const hook = defs.named(
  'hook',
  object(hookProps, { description: 'A hook: exactly one of `run` or `command`.' }),
);
/** A hook after decoding (`run` / `command` not yet baked). */
export type NormalizedHook = ObjectOut<typeof hookProps>;

const serviceHooks = object(
  Object.fromEntries(SERVICE_HOOK_NAMES.map((name) => [name, hook])) as Record<
    (typeof SERVICE_HOOK_NAMES)[number],
    typeof hook
  >,
  { description: 'Service hooks.' },
);
const globalHooks = object(
  Object.fromEntries(GLOBAL_HOOK_NAMES.map((name) => [name, hook])) as Record<
    (typeof GLOBAL_HOOK_NAMES)[number],
    typeof hook
  >,
  { description: 'Global hooks, run once per config.' },
);

// ---------------------------------------------------------------------------------------------------
// Logs

const storeObject = object({
  stdout: boolean({ description: 'Store stdout (default true).' }),
  stderr: boolean({ description: 'Store stderr (default true).' }),
});

/** `store` after normalisation: absent streams fall back to the next level. */
export interface NormalizedStore {
  readonly stdout?: boolean;
  readonly stderr?: boolean;
}

const retention = oneOf(RETENTION_ACTIONS);
const logsProps = {
  max_size: size({
    description: 'Truncate a log file past this size (K, KB, M, MB, G, GB; 1024-based). Default: unbounded.',
  }),
  buffer_size: size({ description: 'Bytes buffered before writing (0 = write every line). Default 0.' }),
  timestamp: boolean({ description: 'Show timestamps in `kepler logs` by default. Default false.' }),
  store: byKind<NormalizedStore, NormalizedStore>(
    {
      scalar: transform(boolean(), (on) => ({ stdout: on, stderr: on })),
      map: transform(storeObject, (store) => ({
        ...(store.stdout !== undefined ? { stdout: store.stdout } : {}),
        ...(store.stderr !== undefined ? { stderr: store.stderr } : {}),
      })),
    },
    { expected: 'true, false or a map of stdout/stderr', description: 'Store logs on disk (default true).' },
  ),
  retention: object(
    {
      on_start: retention,
      on_stop: retention,
      on_restart: retention,
      on_exit: retention,
    },
    {
      description:
        'Whether log files are cleared or retained at each moment (defaults: retain, clear, retain, retain).',
    },
  ),
};
const logs = defs.named('logs', object(logsProps, { description: 'Log settings.' }));
/** A `logs` block after decoding; absent fields fall back to the next level. */
export type NormalizedLogs = ObjectOut<typeof logsProps>;

// ---------------------------------------------------------------------------------------------------
// Dependencies

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
};
const dependencyObject = object(dependencyProps, { description: 'A dependency edge.' });

/** One `depends_on` edge before defaults. `spec` is absent for the list form and for `name:` with no value. */
export interface NormalizedDependency {
  readonly name: string;
  readonly namePos: Pos;
  readonly spec?: ObjectOut<typeof dependencyProps>;
}

const dependsOn: Schema<NormalizedDependency[]> = byKind<
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

// ---------------------------------------------------------------------------------------------------
// Restart

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

const restart: Schema<NormalizedRestart> = byKind<NormalizedRestart, NormalizedRestart>(
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

// ---------------------------------------------------------------------------------------------------
// Health checks

function httpProblem(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return undefined;
  } catch {
    // fall through
  }
  return `${JSON.stringify(url)} is not an http:// or https:// URL`;
}

/** Splits `HOST:PORT` (`[::1]:80` for IPv6). Returns undefined when malformed. */
export function parseHostPort(value: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(value.trim());
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: match[1] ?? match[2] ?? '', port };
}

/** `healthcheck.test: ["NONE"]` (docker's form): the image's check is off; here, no health check. */
export const HEALTHCHECK_NONE = 'NONE';

/** Whether a healthcheck is docker's `test: ["NONE"]`, i.e. none at all. */
export function isHealthcheckNone(hc: { readonly test?: readonly string[] }): boolean {
  return hc.test?.length === 1 && hc.test[0] === HEALTHCHECK_NONE;
}

/** Docker's list forms: `["CMD", argv...]` runs argv, `["CMD-SHELL", script]` runs it with sh -c. */
function dockerTest(test: string[]): string[] {
  if (test[0] === 'CMD') return test.slice(1);
  if (test[0] === 'CMD-SHELL') return test.length > 1 ? ['sh', '-c', test.slice(1).join(' ')] : [];
  return test;
}

const healthcheckProps = {
  test: byKind<string[], never, string[]>(
    {
      seq: transform(list(string(), { minItems: 1 }), dockerTest),
      scalar: transform(string(), (script) => ['sh', '-c', script]),
    },
    {
      expected: 'a command list (or a shell string)',
      description:
        'Probe command as an argv list (or a string run with sh -c). Docker forms too: ["CMD", ...], ["CMD-SHELL", "script"], ["NONE"] (no check). Not expanded.',
    },
  ),
  http: string({ check: httpProblem, description: 'Probe by HTTP GET: a 2xx or 3xx answer passes.' }),
  tcp: string({
    check: (v) =>
      parseHostPort(v) ? undefined : `${JSON.stringify(v)} is not HOST:PORT (e.g. 127.0.0.1:8080)`,
    description: 'Probe by TCP connect to HOST:PORT.',
  }),
  interval: duration({ minMs: 10, description: 'Time between checks (default 30s).' }),
  timeout: duration({ minMs: 10, description: 'Timeout per check (default 30s).' }),
  retries: number({
    integer: true,
    min: 1,
    description: 'Consecutive failures before unhealthy (default 3).',
  }),
  start_period: duration({ description: 'Grace period before failures count (default 0s).' }),
};
/** A `healthcheck` after decoding (durations in ms). */
export type NormalizedHealthcheck = ObjectOut<typeof healthcheckProps>;
const healthcheck = object(healthcheckProps, {
  description: 'Health check: exactly one of test, http or tcp.',
});

// ---------------------------------------------------------------------------------------------------
// Limits

const limitsProps = {
  memory: string({
    coerce: true,
    check: (value) => {
      if (hasExpansion(value)) return undefined; // checked after expansion, at bake
      try {
        parseSize(value);
        return undefined;
      } catch (error) {
        return (error as Error).message;
      }
    },
    description: 'Address-space limit (RLIMIT_AS), e.g. 512M, 1G. Expanded ($VAR).',
  }),
  cpu_time: number({
    integer: true,
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    description: 'CPU time limit in seconds (RLIMIT_CPU).',
  }),
  // Linux caps RLIMIT_NOFILE at fs.nr_open, whose largest possible value is 1073741816.
  max_fds: number({
    integer: true,
    min: 0,
    max: 1_073_741_816,
    description: 'Maximum open file descriptors (RLIMIT_NOFILE).',
  }),
};
const limits = object(limitsProps, { description: 'Resource limits.' });

// ---------------------------------------------------------------------------------------------------
// Service, kepler, root

const serviceProps = {
  command: commandList,
  working_dir: workingDir,
  depends_on: dependsOn,
  environment,
  env_file: envFile,
  sys_env: sysEnv,
  restart,
  healthcheck,
  hooks: serviceHooks,
  user,
  group,
  logs,
  limits,
  stop_signal: signal({ description: 'Signal sent first on stop (default SIGTERM).' }),
  stop_grace_period: duration({ description: 'Time between the stop signal and SIGKILL (default 10s).' }),
};
const service = defs.named(
  'service',
  object(serviceProps, { required: ['command'], description: 'A service.' }),
);
/** A service after decoding, before defaults, expansion and path resolution. */
export type NormalizedService = ObjectOut<typeof serviceProps>;

const keplerProps = {
  sys_env: sysEnv,
  timeout: duration({ description: 'Default timeout for dependency waits (default: none).' }),
  logs,
  hooks: globalHooks,
};
/** The `kepler:` block after decoding. */
export type NormalizedKepler = ObjectOut<typeof keplerProps>;

const rootProps = {
  kepler: object(keplerProps, { description: 'Global settings.' }),
  services: record(service, {
    keyPattern: SERVICE_NAME_PATTERN,
    keyHint: 'is not a valid service name (use lowercase letters, digits, _ and -; "global" is reserved)',
    minEntries: 1,
    emptyMessage: 'no services defined',
    description: 'The services, by name ([a-z0-9_-]+).',
  }),
  lua: string({ description: 'Lua (Luau) code run once before any !lua value; define helpers here.' }),
};

/** The whole config schema. */
export const CONFIG_SCHEMA = object(rootProps, {
  required: ['services'],
  extraKeys: /^x-/,
  extraKeysDescription: 'Extension keys (e.g. for YAML anchors); ignored.',
});

/** Stage 2 output: the config decoded and shorthand-normalised, before cross-checks and defaults. */
export type NormalizedConfig = Out<typeof CONFIG_SCHEMA>;
export type { DependencyCondition };

/**
 * The JSON Schema (draft-07) for kepler.yaml, for editors. Generated from `CONFIG_SCHEMA`; it cannot
 * express cross-field rules (dependency names, cycles) or the `!lua` tags.
 */
export const KEPLER_JSON_SCHEMA: JsonSchema = Object.freeze({
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Kepler configuration (kepler.yaml)',
  ...CONFIG_SCHEMA.json(),
  definitions: defs.json(),
});
