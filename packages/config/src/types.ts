/**
 * The baked configuration: the contract between @kepler/config and everything that runs services.
 *
 * A `BakedConfig` is plain JSON-serialisable data, deep-frozen, with every default applied, every
 * variable expanded, every Lua block evaluated and every path made absolute. The daemon persists it as
 * `expanded_config.yaml` and runs from it; nothing downstream re-reads the YAML source or re-runs Lua.
 * Durations are milliseconds (`*Ms`), sizes are bytes (`*Bytes`), signals are canonical names (`SIGTERM`).
 */

/** `clear` starts services from an empty environment; `inherit` starts from the CLI's captured environment. */
export type SysEnvPolicy = 'clear' | 'inherit';

/** The seed's restart policies. */
export type RestartPolicy = 'no' | 'always' | 'on-failure';

/**
 * How a service's process behaves: `simple` runs as the service; `oneshot` is expected to exit (exit 0
 * is success); `forking` daemonises, and the process its pid file names is supervised.
 */
export const SERVICE_TYPES = ['simple', 'oneshot', 'forking'] as const;
export type ServiceType = (typeof SERVICE_TYPES)[number];

/** Whether a log file is kept or cleared at a lifecycle moment. */
export type RetentionAction = 'clear' | 'retain';

/** The lifecycle hooks a config and each of its services both have. */
const LIFECYCLE_HOOK_NAMES = [
  'on_init',
  'pre_start',
  'post_start',
  'pre_stop',
  'post_stop',
  'pre_restart',
  'post_restart',
] as const;

/** Hooks that exist once per config, under `kepler.hooks`. */
export const GLOBAL_HOOK_NAMES = [...LIFECYCLE_HOOK_NAMES, 'pre_cleanup'] as const;
export type GlobalHookName = (typeof GLOBAL_HOOK_NAMES)[number];

/** Hooks that exist per service, under `services.<name>.hooks`. */
export const SERVICE_HOOK_NAMES = [
  ...LIFECYCLE_HOOK_NAMES,
  'post_exit',
  'post_healthcheck_success',
  'post_healthcheck_fail',
] as const;
export type ServiceHookName = (typeof SERVICE_HOOK_NAMES)[number];

/** The six docker-compose-style dependency conditions. */
export const DEPENDENCY_CONDITIONS = [
  'service_started',
  'service_healthy',
  'service_completed_successfully',
  'service_unhealthy',
  'service_failed',
  'service_stopped',
] as const;
export type DependencyCondition = (typeof DEPENDENCY_CONDITIONS)[number];

/** Conditions that resolve naturally during startup (the seed's "Default wait: startup"). */
export const STARTUP_CONDITIONS: ReadonlySet<DependencyCondition> = new Set([
  'service_started',
  'service_healthy',
  'service_completed_successfully',
]);

/** An inclusive exit-code range; a single code `5` is `{min: 5, max: 5}`. A signal death counts as -1. */
export interface ExitCodeRange {
  readonly min: number;
  readonly max: number;
}

/** One `depends_on` edge, defaults applied. */
export interface BakedDependency {
  readonly condition: DependencyCondition;
  /** Per-edge timeout, else `kepler.timeout`, else null (wait without limit). */
  readonly timeoutMs: number | null;
  /** Restart propagation: stop and restart this service when the dependency restarts. */
  readonly restart: boolean;
  /** Exit-code filter for `service_failed` / `service_stopped`; null means any code. */
  readonly exitCode: readonly ExitCodeRange[] | null;
  /** Whether `start --wait` / foreground blocks on this edge; defaults from the condition. */
  readonly wait: boolean;
  /**
   * false for a soft edge (`required: false`): when the dependency fails, is stopped or can never meet
   * the condition (or the edge times out), the dependent starts anyway. Default true.
   */
  readonly required: boolean;
}

/** Exponential backoff between automatic restarts. */
export interface BakedBackoff {
  readonly initialMs: number; // default 100
  readonly multiplier: number; // default 2
  readonly maxMs: number; // default 30000
  readonly resetAfterMs: number; // default 10000
}

export interface BakedRestart {
  readonly policy: RestartPolicy;
  /** Glob patterns relative to the service's working_dir (expanded at bake time). */
  readonly watch: readonly string[];
  readonly backoff: BakedBackoff;
  /** Automatic restarts in a row (none lasting `resetAfterMs`) before giving up; null = unlimited. */
  readonly maxRetries: number | null;
}

/** How a health check probes: an argv command, an HTTP GET (2xx/3xx passes) or a TCP connect. */
export type HealthProbe =
  | { readonly kind: 'command'; readonly test: readonly string[] }
  | { readonly kind: 'http'; readonly url: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  /**
   * `http: /path` or `tcp: port`: the service's own port on 127.0.0.1, known once the daemon assigns it
   * at start (an HTTP GET of `path`, or a TCP connect when `path` is null).
   */
  | { readonly kind: 'ownPort'; readonly path: string | null };

export interface BakedHealthcheck {
  readonly probe: HealthProbe;
  readonly intervalMs: number; // default 30000
  readonly timeoutMs: number; // default 30000
  readonly retries: number; // default 3
  readonly startPeriodMs: number; // default 0
  /** What turning unhealthy does: `keep` (default) keeps the process, `restart` restarts it. */
  readonly onUnhealthy: OnUnhealthyAction;
  /** A run not healthy within this time of its start fails; null = no limit. */
  readonly startTimeoutMs: number | null;
}

/** `healthcheck.on_unhealthy`. */
export type OnUnhealthyAction = 'keep' | 'restart';

/** Log settings after merging the service's over `kepler.logs` over the defaults. */
export interface BakedLogSettings {
  /** Truncate (keeping the newest bytes) past this size; null = unbounded. */
  readonly maxSizeBytes: number | null;
  /** Bytes buffered before a write; 0 = every line written before the next is read. */
  readonly bufferSize: number;
  /** Whether `kepler logs` shows each line's time (default true; lines are always stored with one). */
  readonly timestamp: boolean;
  readonly store: { readonly stdout: boolean; readonly stderr: boolean };
  readonly retention: {
    readonly onStart: RetentionAction; // default retain
    readonly onStop: RetentionAction; // default clear
    readonly onRestart: RetentionAction; // default retain
    readonly onExit: RetentionAction; // default retain
  };
}

/** Resource limits applied to the process before exec. null = inherit the daemon's limit. */
export interface BakedLimits {
  readonly memoryBytes: number | null; // RLIMIT_AS
  readonly cpuTimeSec: number | null; // RLIMIT_CPU
  readonly maxFds: number | null; // RLIMIT_NOFILE
}

/** A hook, ready to run: `run: X` is baked to `command: ['sh', '-c', X]`. */
export interface BakedHook {
  readonly command: readonly string[];
  /** The original `run` script when the hook used `run` (for display only). */
  readonly run: string | null;
  /** The hook's own user, else the service's, else null (root / the daemon's user). */
  readonly user: string | null;
  readonly group: string | null;
  /** Absolute; relative hook paths resolve against the service's working_dir. */
  readonly workingDir: string;
  /** Complete environment: the service's plus the hook's env_file plus its environment (own wins). */
  readonly environment: Readonly<Record<string, string>>;
}

export interface BakedService {
  readonly name: string;
  readonly command: readonly string[];
  /** Absolute working directory (default: the config's directory). */
  readonly workingDir: string;
  /** Complete process environment: sys env (if inherit) < env_file < environment. */
  readonly environment: Readonly<Record<string, string>>;
  /** Absolute path of the env_file as written in the source, or null. */
  readonly envFile: string | null;
  readonly sysEnv: SysEnvPolicy;
  /** Edges keyed by dependency name, in source order. */
  readonly dependsOn: Readonly<Record<string, BakedDependency>>;
  readonly restart: BakedRestart;
  readonly healthcheck: BakedHealthcheck | null;
  readonly hooks: Readonly<Partial<Record<ServiceHookName, BakedHook>>>;
  /** `name`, `uid` or `uid:gid` as written (after expansion); null = run as the daemon's user. */
  readonly user: string | null;
  /** Primary group override (name or gid); null = the user's primary group. */
  readonly group: string | null;
  readonly logs: BakedLogSettings;
  readonly limits: BakedLimits;
  /** Signal sent first on stop (docker compose `stop_signal`); default SIGTERM. */
  readonly stopSignal: string;
  /** Time between the stop signal and SIGKILL (docker compose `stop_grace_period`); default 10 s. */
  readonly stopGracePeriodMs: number;
  /**
   * Start/stop order among services depends_on does not order: lower starts first and stops last
   * (default 0). See the README's "Start and stop order".
   */
  readonly priority: number;
  // ---- service types and stop_command (absent when not set, so older snapshots and their hashes hold)
  /** `oneshot` or `forking`; absent for `simple` (the default). */
  readonly type?: Exclude<ServiceType, 'simple'>;
  /** `type: forking`: absolute path of the pid file its daemon writes. */
  readonly pidFile?: string;
  /** `type: forking`: how long the command may take to exit and the pid file to name a live process. */
  readonly startTimeoutMs?: number;
  /** Run to stop the service (argv; a string was baked to `sh -c`); absent: the stop signal alone. */
  readonly stopCommand?: readonly string[];
  // ---- network (port, hostname): absent when not set, so snapshots without them hash as before ----
  /** A fixed TCP port, or `auto` (picked free at the first start and kept). Given to the service as PORT. */
  readonly port?: number | 'auto';
  /** The host name the daemon's reverse proxy routes to the service's port (implies a port). */
  readonly hostname?: string;
}

export interface BakedGlobal {
  readonly sysEnv: SysEnvPolicy;
  /** Default dependency-wait timeout; null = none. */
  readonly timeoutMs: number | null;
  /** Global log settings (already merged into each service's `logs`; kept for global hooks). */
  readonly logs: BakedLogSettings;
  readonly hooks: Readonly<Partial<Record<GlobalHookName, BakedHook>>>;
}

/** The immutable snapshot a config is run from. */
export interface BakedConfig {
  /** Bumped when the shape changes; a daemon refuses a snapshot of another version and re-bakes. */
  readonly formatVersion: 1;
  /** Canonical absolute path of the source file (symlinks resolved): the config's identity. */
  readonly sourcePath: string;
  /**
   * Canonical absolute paths of the overlay files (the second and later `-f`) merged over `sourcePath`,
   * in order; absent when there are none. They do not change the config's identity.
   */
  readonly overlays?: readonly string[];
  readonly configDir: string;
  /** sha256 hex of the canonical JSON of everything below (not of bakedAt). */
  readonly hash: string;
  /** ISO-8601 time of the bake. */
  readonly bakedAt: string;
  /** The CLI environment captured at bake time (the "system environment"). */
  readonly capturedEnv: Readonly<Record<string, string>>;
  readonly kepler: BakedGlobal;
  readonly services: Readonly<Record<string, BakedService>>;
  /** Service names in source order (stop-all goes in reverse, after `priority`: see the README). */
  readonly serviceOrder: readonly string[];
  /** Absolute paths of every env_file read (the daemon copies them to `env_files/`). */
  readonly envFiles: readonly string[];
}

/** One problem found while loading a config. `line`/`column` are 1-based, absent when unknown. */
export interface ConfigIssue {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  /** Dotted key path, e.g. `services.web.healthcheck.interval`. */
  readonly path: string;
  readonly message: string;
}
