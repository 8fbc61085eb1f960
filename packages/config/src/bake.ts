/**
 * Stage 4, bake: `NormalizedConfig` -> `BakedConfig`. Applies every default, expands variables in the
 * seed's fields, reads env_files, makes paths absolute, merges log settings, then hashes and freezes.
 */

import { bakedSizeMessage, boundedJson } from './bounds.js';
import { type EnvFileError, expandEnvironment, readEnvFile, resolvePath } from './environment.js';
import { ExpansionError, expandVars, type Lookup, layeredLookup } from './expand.js';
import { bakedConfigHash, deepFreeze } from './freeze.js';
import { GrammarError, parseSize } from './grammar.js';
import type { IssueCollector, Pos } from './issues.js';
import {
  isHealthcheckNone,
  type NormalizedConfig,
  type NormalizedHealthcheck,
  type NormalizedHook,
  type NormalizedLogs,
  type NormalizedService,
  parseHostPort,
} from './schema.js';
import {
  type BakedBackoff,
  type BakedConfig,
  type BakedDependency,
  type BakedHealthcheck,
  type BakedHook,
  type BakedLogSettings,
  type BakedService,
  GLOBAL_HOOK_NAMES,
  type GlobalHookName,
  SERVICE_HOOK_NAMES,
  type ServiceHookName,
  STARTUP_CONDITIONS,
  type SysEnvPolicy,
} from './types.js';

/** Seed defaults, applied when neither the service nor `kepler` sets a value. */
export const DEFAULT_HEALTH_INTERVAL_MS = 30_000;
export const DEFAULT_HEALTH_TIMEOUT_MS = 30_000;
export const DEFAULT_HEALTH_RETRIES = 3;
export const DEFAULT_HEALTH_START_PERIOD_MS = 0;
export const DEFAULT_STOP_SIGNAL = 'SIGTERM';
export const DEFAULT_STOP_GRACE_MS = 10_000;
export const DEFAULT_BACKOFF: BakedBackoff = {
  initialMs: 100,
  multiplier: 2,
  maxMs: 30_000,
  resetAfterMs: 10_000,
};

/** The log settings when neither the service nor `kepler.logs` says otherwise. */
export const DEFAULT_LOG_SETTINGS: BakedLogSettings = {
  maxSizeBytes: null,
  bufferSize: 0,
  // The seed's default is false; Kepler shows each line's time unless a service sets false, because
  // `kepler logs` lines read `<time> <service> | <line>` (lines are stored with a time either way).
  timestamp: true,
  store: { stdout: true, stderr: true },
  retention: { onStart: 'retain', onStop: 'clear', onRestart: 'retain', onExit: 'retain' },
};

/** What the bake needs besides the normalized config. */
export interface BakeInput {
  readonly config: NormalizedConfig;
  /** Canonical absolute path of the source file. */
  readonly sourcePath: string;
  readonly configDir: string;
  /** The CLI's captured environment. */
  readonly env: Readonly<Record<string, string>>;
  readonly now: Date;
}

/**
 * Bakes a validated `NormalizedConfig`. Problems that only show after expansion (an env_file that is
 * missing, a `limits.memory` that is not a size once expanded) are reported to `issues`; the caller
 * must not use the result when `issues` is not empty. The result is deep-frozen and hashed.
 */
export function bakeNormalized(input: BakeInput, issues: IssueCollector): BakedConfig {
  return new Baker(input, issues).bake();
}

/** Merges a normalized `logs` block over already-baked settings, field by field. */
export function mergeLogs(base: BakedLogSettings, logs: NormalizedLogs | undefined): BakedLogSettings {
  if (!logs) return base;
  return {
    maxSizeBytes: logs.max_size ?? base.maxSizeBytes,
    bufferSize: logs.buffer_size ?? base.bufferSize,
    timestamp: logs.timestamp ?? base.timestamp,
    store: {
      stdout: logs.store?.stdout ?? base.store.stdout,
      stderr: logs.store?.stderr ?? base.store.stderr,
    },
    retention: {
      onStart: logs.retention?.on_start ?? base.retention.onStart,
      onStop: logs.retention?.on_stop ?? base.retention.onStop,
      onRestart: logs.retention?.on_restart ?? base.retention.onRestart,
      onExit: logs.retention?.on_exit ?? base.retention.onExit,
    },
  };
}

/** `user` values: a name or uid, optionally `:group` or `:gid`. */
const USER_PATTERN = /^[^\s:]+(:[^\s:]+)?$/;
const GROUP_PATTERN = /^[^\s:]+$/;

/** What a hook inherits from its service (or, for global hooks, from the config). */
interface HookParent {
  readonly env: Readonly<Record<string, string>>;
  readonly lookup: Lookup;
  readonly workingDir: string;
  readonly user: string | null;
  readonly group: string | null;
}

class Baker {
  private readonly captured: Record<string, string>;
  private readonly home: string | undefined;
  private readonly capturedLookup: Lookup;
  private readonly envFiles = new Set<string>();

  constructor(
    private readonly input: BakeInput,
    private readonly issues: IssueCollector,
  ) {
    this.captured = { ...input.env };
    this.home = this.captured.HOME;
    this.capturedLookup = layeredLookup(this.captured);
  }

  bake(): BakedConfig {
    const { config, configDir } = this.input;
    const kepler = config.kepler;
    const sysEnv: SysEnvPolicy = kepler?.sys_env ?? 'clear';
    const timeoutMs = kepler?.timeout ?? null;
    const logs = mergeLogs(DEFAULT_LOG_SETTINGS, kepler?.logs);
    const globalEnv = sysEnv === 'inherit' ? { ...this.captured } : {};
    const globalParent: HookParent = {
      env: globalEnv,
      lookup: this.capturedLookup,
      workingDir: configDir,
      user: null,
      group: null,
    };
    const globalHooks: Partial<Record<GlobalHookName, BakedHook>> = {};
    for (const name of GLOBAL_HOOK_NAMES) {
      const hook = kepler?.hooks?.[name];
      if (hook) globalHooks[name] = this.hook(hook, `kepler.hooks.${name}`, globalParent);
    }

    const services: Record<string, BakedService> = {};
    for (const { key, value } of config.services ?? []) {
      services[key] = this.service(key, value, { sysEnv, timeoutMs, logs });
    }
    const content: Omit<BakedConfig, 'hash' | 'bakedAt'> = {
      formatVersion: 1,
      sourcePath: this.input.sourcePath,
      configDir,
      capturedEnv: this.captured,
      kepler: { sysEnv, timeoutMs, logs, hooks: globalHooks },
      services,
      serviceOrder: Object.keys(services),
      envFiles: [...this.envFiles],
    };
    // Round-trip through JSON so the snapshot shares no objects (defaults included) before freezing.
    const json = boundedJson(content);
    if (json === null) {
      this.issues.add('', bakedSizeMessage());
      return deepFreeze({ ...content, hash: '', bakedAt: this.input.now.toISOString() });
    }
    const plain = JSON.parse(json) as Omit<BakedConfig, 'hash' | 'bakedAt'>;
    return deepFreeze({ ...plain, hash: bakedConfigHash(plain), bakedAt: this.input.now.toISOString() });
  }

  private service(
    name: string,
    s: NormalizedService,
    global: { sysEnv: SysEnvPolicy; timeoutMs: number | null; logs: BakedLogSettings },
  ): BakedService {
    const path = `services.${name}`;
    const at = s.$at;
    const sysEnv = s.sys_env ?? global.sysEnv;

    const envFile =
      s.env_file === undefined
        ? null
        : this.envFilePath(s.env_file, this.capturedLookup, `${path}.env_file`, at.env_file);
    const fileVars = envFile
      ? this.readEnvFile(envFile, this.capturedLookup, `${path}.env_file`, at.env_file)
      : {};
    const fileLookup = layeredLookup(fileVars, this.captured);
    const own = expandEnvironment(s.environment ?? [], fileLookup, this.home, (entry, message) =>
      this.issues.add(`${path}.environment.${entry.key}`, message, entry.pos),
    );
    const environment = { ...(sysEnv === 'inherit' ? this.captured : {}), ...fileVars, ...own };
    const lookup = layeredLookup(own, fileVars, this.captured);

    const workingDir =
      s.working_dir === undefined
        ? this.input.configDir
        : resolvePath(
            this.input.configDir,
            this.expand(s.working_dir, lookup, `${path}.working_dir`, at.working_dir),
          );
    const { user, group } = this.userAndGroup(s, at, lookup, path);

    const dependsOn: Record<string, BakedDependency> = {};
    for (const dep of s.depends_on ?? []) {
      const condition = dep.spec?.condition ?? 'service_started';
      dependsOn[dep.name] = {
        condition,
        timeoutMs: dep.spec?.timeout ?? global.timeoutMs,
        restart: dep.spec?.restart ?? false,
        exitCode: dep.spec?.exit_code ?? null,
        wait: dep.spec?.wait ?? STARTUP_CONDITIONS.has(condition),
      };
    }

    const backoff = s.restart?.backoff;
    const parent: HookParent = { env: environment, lookup, workingDir, user, group };
    const hooks: Partial<Record<ServiceHookName, BakedHook>> = {};
    for (const hookName of SERVICE_HOOK_NAMES) {
      const hook = s.hooks?.[hookName];
      if (hook) hooks[hookName] = this.hook(hook, `${path}.hooks.${hookName}`, parent);
    }

    return {
      name,
      command: s.command ?? [],
      workingDir,
      environment,
      envFile,
      sysEnv,
      dependsOn,
      restart: {
        policy: s.restart?.policy ?? 'no',
        watch: (s.restart?.watch ?? []).map((pattern) =>
          this.expand(pattern, lookup, `${path}.restart.watch`, s.restart?.watchPos ?? s.restart?.pos),
        ),
        backoff: {
          initialMs: backoff?.initial ?? DEFAULT_BACKOFF.initialMs,
          multiplier: backoff?.multiplier ?? DEFAULT_BACKOFF.multiplier,
          maxMs: backoff?.max ?? DEFAULT_BACKOFF.maxMs,
          resetAfterMs: backoff?.reset_after ?? DEFAULT_BACKOFF.resetAfterMs,
        },
      },
      healthcheck:
        s.healthcheck && !isHealthcheckNone(s.healthcheck) ? this.healthcheck(s.healthcheck) : null,
      hooks,
      user,
      group,
      logs: mergeLogs(global.logs, s.logs),
      limits: {
        memoryBytes: this.memory(s.limits?.memory, lookup, `${path}.limits.memory`, s.limits?.$at.memory),
        cpuTimeSec: s.limits?.cpu_time ?? null,
        maxFds: s.limits?.max_fds ?? null,
      },
      stopSignal: s.stop_signal ?? DEFAULT_STOP_SIGNAL,
      stopGracePeriodMs: s.stop_grace_period ?? DEFAULT_STOP_GRACE_MS,
    };
  }

  private hook(hook: NormalizedHook, path: string, parent: HookParent): BakedHook {
    const at = hook.$at;
    const envFile =
      hook.env_file === undefined
        ? null
        : this.envFilePath(hook.env_file, parent.lookup, `${path}.env_file`, at.env_file);
    const fileVars = envFile ? this.readEnvFile(envFile, parent.lookup, `${path}.env_file`, at.env_file) : {};
    const fileLookup = layeredLookup(fileVars);
    const below: Lookup = (name) => fileLookup(name) ?? parent.lookup(name);
    const own = expandEnvironment(hook.environment ?? [], below, this.home, (entry, message) =>
      this.issues.add(`${path}.environment.${entry.key}`, message, entry.pos),
    );
    const ownLookup = layeredLookup(own);
    const lookup: Lookup = (name) => ownLookup(name) ?? below(name);
    const workingDir =
      hook.working_dir === undefined
        ? parent.workingDir
        : resolvePath(
            parent.workingDir,
            this.expand(hook.working_dir, lookup, `${path}.working_dir`, at.working_dir),
          );
    const { user, group } = this.userAndGroup(hook, at, lookup, path);
    return {
      command: hook.run !== undefined ? ['sh', '-c', hook.run] : (hook.command ?? []),
      run: hook.run ?? null,
      user: user ?? parent.user,
      group: group ?? parent.group,
      workingDir,
      environment: { ...parent.env, ...fileVars, ...own },
    };
  }

  private healthcheck(hc: NormalizedHealthcheck): BakedHealthcheck {
    let probe: BakedHealthcheck['probe'];
    const tcp = hc.tcp === undefined ? undefined : parseHostPort(hc.tcp);
    if (hc.http !== undefined) probe = { kind: 'http', url: hc.http };
    else if (tcp) probe = { kind: 'tcp', host: tcp.host, port: tcp.port };
    else probe = { kind: 'command', test: hc.test ?? [] };
    return {
      probe,
      intervalMs: hc.interval ?? DEFAULT_HEALTH_INTERVAL_MS,
      timeoutMs: hc.timeout ?? DEFAULT_HEALTH_TIMEOUT_MS,
      retries: hc.retries ?? DEFAULT_HEALTH_RETRIES,
      startPeriodMs: hc.start_period ?? DEFAULT_HEALTH_START_PERIOD_MS,
    };
  }

  private expand(value: string, lookup: Lookup, path: string, pos: Pos | undefined): string {
    try {
      return expandVars(value, lookup, this.home);
    } catch (error) {
      if (!(error instanceof ExpansionError)) throw error;
      this.issues.add(path, error.message, pos);
      return value;
    }
  }

  private envFilePath(value: string, lookup: Lookup, path: string, pos: Pos | undefined): string | null {
    const expanded = this.expand(value, lookup, path, pos);
    if (expanded === '') {
      this.issues.add(path, `${JSON.stringify(value)} expands to an empty path`, pos);
      return null;
    }
    return resolvePath(this.input.configDir, expanded);
  }

  private readEnvFile(
    absPath: string,
    below: Lookup,
    path: string,
    pos: Pos | undefined,
  ): Record<string, string> {
    this.envFiles.add(absPath);
    try {
      return readEnvFile(absPath, below, this.home);
    } catch (error) {
      this.issues.add(path, (error as EnvFileError).message, pos);
      return {};
    }
  }

  /** The `user` and `group` of a service or hook, expanded and checked. */
  private userAndGroup(
    src: { readonly user?: string; readonly group?: string },
    at: { readonly user?: Pos; readonly group?: Pos },
    lookup: Lookup,
    path: string,
  ): { user: string | null; group: string | null } {
    return {
      user: this.identity(
        src.user,
        lookup,
        `${path}.user`,
        at.user,
        USER_PATTERN,
        'a user (use a name, a uid, or uid:gid)',
      ),
      group: this.identity(
        src.group,
        lookup,
        `${path}.group`,
        at.group,
        GROUP_PATTERN,
        'a group (use a name or a gid)',
      ),
    };
  }

  /**
   * Expands a user or group. An empty result (e.g. `${RUN_AS}` unset) is an error, not "not set":
   * silently running as root because a variable was missing is the wrong failure.
   */
  private identity(
    value: string | undefined,
    lookup: Lookup,
    path: string,
    pos: Pos | undefined,
    pattern: RegExp,
    what: string,
  ): string | null {
    if (value === undefined) return null;
    const expanded = this.expand(value, lookup, path, pos).trim();
    if (expanded === '') {
      const vars = [...value.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]);
      const hint = vars.length ? ` (is ${vars.join(', ')} set?)` : '';
      this.issues.add(path, `${JSON.stringify(value)} expanded to an empty string${hint}`, pos);
      return null;
    }
    if (!pattern.test(expanded)) {
      this.issues.add(path, `${JSON.stringify(expanded)} is not ${what}`, pos);
      return null;
    }
    return expanded;
  }

  private memory(
    value: string | undefined,
    lookup: Lookup,
    path: string,
    pos: Pos | undefined,
  ): number | null {
    if (value === undefined) return null;
    const expanded = this.expand(value, lookup, path, pos);
    try {
      return parseSize(expanded);
    } catch (error) {
      if (!(error instanceof GrammarError)) throw error;
      this.issues.add(path, error.message, pos);
      return null;
    }
  }
}
