/**
 * The one mapping from a `BakedConfig` (internal names: `workingDir`, `timeoutMs`, `maxSizeBytes`) to
 * the config file's own vocabulary (`working_dir`, `timeout: 30s`, `max_size: 50MB`): what
 * `kepler config` prints. The daemon's snapshot (`expanded_config.yaml`) and the wire keep the
 * internal shape (`render.ts`); only what users read is mapped here.
 *
 * The rules:
 * - keys as the file spells them, in the seed's order; services in source order;
 * - durations in the largest exact unit the file accepts (`10s`, `500ms`), sizes likewise (`50MB`);
 *   `buffer_size` stays a number of bytes, as the seed writes it;
 * - every default applied and shown; a value that is absent (`user`, `env_file`, `timeout`,
 *   `max_size`, a limit, a healthcheck, empty hooks) is left out rather than printed as null;
 * - `environment` is a map; under `sys_env: inherit` it holds only what differs from the CLI's
 *   environment, so the user's shell stays off the screen (as `capturedEnv` does);
 * - hooks as written: `run:` for a script, `command:` otherwise; `user`, `group`, `working_dir` and
 *   `environment` only where they differ from what the hook inherits from its service;
 * - a `$` in an expanded value (environment, paths, user, group, watch patterns) is written `$$`, as
 *   docker compose's `config` does, so the output read as a config expands back to the same values;
 * - where the snapshot came from goes under `x-kepler` (`source`, `overlays` when there are some, `hash`), an extension key the file
 *   ignores: the output is itself a valid config.
 */
import { Document, isScalar, visit } from 'yaml';
import { formatBytes, formatDuration } from './grammar.js';
import type {
  BakedConfig,
  BakedDependency,
  BakedHealthcheck,
  BakedHook,
  BakedLogSettings,
  BakedRestart,
  BakedService,
  ExitCodeRange,
} from './types.js';

type Env = Readonly<Record<string, string>>;
/** A mapped section: file keys to plain values (absent values already left out). */
type Section = Record<string, unknown>;

/** The baked config in the file's vocabulary (plain data; see the module comment for the rules). */
export interface FileVocabularyConfig {
  readonly 'x-kepler': {
    readonly source: string;
    readonly overlays?: readonly string[];
    readonly hash: string;
  };
  readonly kepler: Section;
  readonly services: Readonly<Record<string, Section>>;
}

/** What a hook inherits, to show only what it sets itself. */
interface HookParent {
  readonly environment: Env;
  readonly workingDir: string;
  readonly user: string | null;
  readonly group: string | null;
}

/** Maps a baked config to the config file's vocabulary. Pure; the result shares nothing with `baked`. */
export function toFileVocabulary(baked: BakedConfig): FileVocabularyConfig {
  const captured = baked.capturedEnv;
  const { kepler } = baked;
  const globalParent: HookParent = {
    environment: kepler.sysEnv === 'inherit' ? captured : {},
    workingDir: baked.configDir,
    user: null,
    group: null,
  };
  const services: Record<string, Section> = {};
  for (const name of baked.serviceOrder) {
    const service = baked.services[name];
    const inherited = service?.sysEnv === 'inherit' ? captured : {};
    if (service) services[name] = serviceToFileVocabulary(service, inherited);
  }
  return {
    'x-kepler': baked.overlays
      ? { source: baked.sourcePath, overlays: baked.overlays, hash: baked.hash }
      : { source: baked.sourcePath, hash: baked.hash },
    kepler: compact({
      sys_env: kepler.sysEnv,
      timeout: kepler.timeoutMs === null ? undefined : duration(kepler.timeoutMs),
      logs: mapLogs(kepler.logs),
      hooks: mapHooks(kepler.hooks, globalParent),
    }),
    services,
  };
}

/**
 * Renders a baked config in the file's vocabulary as YAML or JSON (what `kepler config` prints). The
 * YAML parses back (with YAML 1.1 or 1.2 rules) to exactly the JSON's data.
 */
export function renderFileVocabulary(baked: BakedConfig, format: 'yaml' | 'json'): string {
  const data = toFileVocabulary(baked);
  if (format === 'json') return `${JSON.stringify(data, null, 2)}\n`;
  // YAML 1.1 rules quote every string a 1.1 parser would misread (`no`, `on`, `0755`); 1.2 parsers agree.
  const doc = new Document(data, { version: '1.1', aliasDuplicateObjects: false });
  // Lists of plain values (argv, watch patterns, exit codes) on one line, as configs write them.
  visit(doc, {
    Seq(_, seq) {
      if (seq.items.every(isScalar)) seq.flow = true;
    },
  });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/**
 * One service in the file's vocabulary: its entry under `services` (no `name`: the file keys services
 * by name). `inherited` holds the variables it got from the CLI's environment, left out of
 * `environment` as `kepler config` does; without it (`inspect`) the environment is shown whole.
 */
export function serviceToFileVocabulary(s: BakedService, inherited: Env = {}): Section {
  const parent: HookParent = {
    environment: s.environment,
    workingDir: s.workingDir,
    user: s.user,
    group: s.group,
  };
  const dependsOn: Record<string, Section> = {};
  for (const [name, dep] of Object.entries(s.dependsOn)) dependsOn[name] = mapDependency(dep);
  const limits = compact({
    memory: s.limits.memoryBytes === null ? undefined : formatBytes(s.limits.memoryBytes),
    cpu_time: s.limits.cpuTimeSec ?? undefined,
    max_fds: s.limits.maxFds ?? undefined,
  });
  return compact({
    command: [...s.command],
    working_dir: literal(s.workingDir),
    depends_on: Object.keys(dependsOn).length > 0 ? dependsOn : undefined,
    environment: envMap(s.environment, inherited),
    env_file: s.envFile === null ? undefined : literal(s.envFile),
    sys_env: s.sysEnv,
    restart: mapRestart(s.restart),
    healthcheck: s.healthcheck === null ? undefined : mapHealthcheck(s.healthcheck),
    hooks: mapHooks(s.hooks, parent),
    user: s.user === null ? undefined : literal(s.user),
    group: s.group === null ? undefined : literal(s.group),
    logs: mapLogs(s.logs),
    limits: Object.keys(limits).length > 0 ? limits : undefined,
    stop_signal: s.stopSignal,
    stop_grace_period: duration(s.stopGracePeriodMs),
    priority: s.priority,
    type: s.type,
    pid_file: s.pidFile === undefined ? undefined : literal(s.pidFile),
    start_timeout: s.startTimeoutMs === undefined ? undefined : duration(s.startTimeoutMs),
    stop_command: s.stopCommand === undefined ? undefined : [...s.stopCommand],
    port: s.port,
    hostname: s.hostname,
  });
}

function mapDependency(dep: BakedDependency): Section {
  return compact({
    condition: dep.condition,
    timeout: dep.timeoutMs === null ? undefined : duration(dep.timeoutMs),
    restart: dep.restart,
    exit_code: dep.exitCode === null ? undefined : dep.exitCode.map(exitCodeItem),
    wait: dep.wait,
    required: dep.required,
  });
}

/** `5` for a single code, `"1:10"` for a range (the filter's own forms). */
function exitCodeItem(range: ExitCodeRange): number | string {
  return range.min === range.max ? range.min : `${range.min}:${range.max}`;
}

function mapRestart(r: BakedRestart): Section {
  return compact({
    policy: r.policy,
    watch: r.watch.length > 0 ? r.watch.map(literal) : undefined,
    backoff: {
      initial: duration(r.backoff.initialMs),
      multiplier: r.backoff.multiplier,
      max: duration(r.backoff.maxMs),
      reset_after: duration(r.backoff.resetAfterMs),
    },
    max_retries: r.maxRetries ?? undefined,
  });
}

/** Docker's list forms read a leading CMD, CMD-SHELL or NONE as a marker: keep such an argv literal. */
const DOCKER_TEST_MARKERS = new Set(['CMD', 'CMD-SHELL', 'NONE']);

function mapHealthcheck(hc: BakedHealthcheck): Section {
  const { probe } = hc;
  let how: Section;
  if (probe.kind === 'http') how = { http: probe.url };
  else if (probe.kind === 'ownPort') how = probe.path === null ? { tcp: 'port' } : { http: probe.path };
  else if (probe.kind === 'tcp')
    how = { tcp: probe.host.includes(':') ? `[${probe.host}]:${probe.port}` : `${probe.host}:${probe.port}` };
  else
    how = { test: DOCKER_TEST_MARKERS.has(probe.test[0] ?? '') ? ['CMD', ...probe.test] : [...probe.test] };
  return {
    ...how,
    interval: duration(hc.intervalMs),
    timeout: duration(hc.timeoutMs),
    retries: hc.retries,
    start_period: duration(hc.startPeriodMs),
    on_unhealthy: hc.onUnhealthy,
    ...(hc.startTimeoutMs === null ? {} : { start_timeout: duration(hc.startTimeoutMs) }),
  };
}

function mapLogs(logs: BakedLogSettings): Section {
  return compact({
    max_size: logs.maxSizeBytes === null ? undefined : formatBytes(logs.maxSizeBytes),
    buffer_size: logs.bufferSize,
    timestamp: logs.timestamp,
    store: { stdout: logs.store.stdout, stderr: logs.store.stderr },
    retention: {
      on_start: logs.retention.onStart,
      on_stop: logs.retention.onStop,
      on_restart: logs.retention.onRestart,
      on_exit: logs.retention.onExit,
    },
  });
}

function mapHooks(
  hooks: Readonly<Partial<Record<string, BakedHook>>>,
  parent: HookParent,
): Section | undefined {
  const out: Section = {};
  for (const [name, hook] of Object.entries(hooks)) {
    if (hook) out[name] = mapHook(hook, parent);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function mapHook(hook: BakedHook, parent: HookParent): Section {
  const differs = (own: string | null, inherited: string | null) =>
    own !== null && own !== inherited ? literal(own) : undefined;
  return compact({
    ...(hook.run === null ? { command: [...hook.command] } : { run: hook.run }),
    user: differs(hook.user, parent.user),
    group: differs(hook.group, parent.group),
    working_dir: differs(hook.workingDir, parent.workingDir),
    environment: envMap(hook.environment, parent.environment),
  });
}

/** The variables of `env` that `below` does not already give, as a map; undefined when none. */
function envMap(env: Env, below: Env): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (below[key] !== value) out[key] = literal(value);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** A duration as the file writes it: `10s`, `500ms`, and zero as the seed does (`0s`). */
function duration(ms: number): string {
  return ms === 0 ? '0s' : formatDuration(ms);
}

/** An expanded value written so that expanding it again gives it back (`$` as `$$`). */
function literal(value: string): string {
  return value.replaceAll('$', '$$$$');
}

/** The section without its undefined entries (absent values are left out, not printed as null). */
function compact(section: Section): Section {
  const out: Section = {};
  for (const [key, value] of Object.entries(section)) if (value !== undefined) out[key] = value;
  return out;
}
