/**
 * Stage 4, bake: `NormalizedConfig` -> `BakedConfig`. Applies every default, expands variables in the
 * seed's fields, reads env_files, makes paths absolute, merges log settings, then hashes and freezes.
 */

import { bakedSizeMessage, boundedJson } from '../bounds.js';
import { expandEnvironment, resolvePath } from '../environment.js';
import { type Lookup, layeredLookup } from '../expand.js';
import { bakedConfigHash, deepFreeze } from '../freeze.js';
import type { IssueCollector } from '../issues.js';
import {
  AUTO_PORT,
  isHealthcheckNone,
  isOwnPortPath,
  type NormalizedConfig,
  type NormalizedHealthcheck,
  type NormalizedHook,
  type NormalizedService,
  OWN_PORT_TCP,
  parseHostPort,
} from '../schema/index.js';
import {
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
} from '../types.js';
import {
  DEFAULT_BACKOFF,
  DEFAULT_HEALTH_INTERVAL_MS,
  DEFAULT_HEALTH_RETRIES,
  DEFAULT_HEALTH_START_PERIOD_MS,
  DEFAULT_HEALTH_TIMEOUT_MS,
  DEFAULT_LOG_SETTINGS,
  DEFAULT_START_TIMEOUT_MS,
  DEFAULT_STOP_GRACE_MS,
  DEFAULT_STOP_SIGNAL,
  mergeLogs,
} from './defaults.js';
import { FieldExpander } from './FieldExpander.js';

/** What the bake needs besides the normalized config. */
export interface BakeInput {
  readonly config: NormalizedConfig;
  /** Canonical absolute path of the source file. */
  readonly sourcePath: string;
  /** Canonical absolute paths of the overlay files merged over it, in order. */
  readonly overlays?: readonly string[];
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
  private readonly fields: FieldExpander;

  constructor(
    private readonly input: BakeInput,
    private readonly issues: IssueCollector,
  ) {
    this.captured = { ...input.env };
    this.home = this.captured.HOME;
    this.capturedLookup = layeredLookup(this.captured);
    this.fields = new FieldExpander(input.configDir, this.home, issues);
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
    // A dependency on a oneshot waits, by default, for it to complete successfully.
    const oneshots = new Set(
      (config.services ?? []).filter((e) => e.value.type === 'oneshot').map((e) => e.key),
    );
    for (const { key, value } of config.services ?? []) {
      services[key] = this.service(key, value, { sysEnv, timeoutMs, logs, oneshots });
    }
    const content: Omit<BakedConfig, 'hash' | 'bakedAt'> = {
      formatVersion: 1,
      sourcePath: this.input.sourcePath,
      // Absent without overlays, so a single file's snapshot (and its hash) is as before.
      ...(this.input.overlays?.length ? { overlays: [...this.input.overlays] } : {}),
      configDir,
      capturedEnv: this.captured,
      kepler: { sysEnv, timeoutMs, logs, hooks: globalHooks },
      services,
      serviceOrder: Object.keys(services),
      envFiles: [...this.fields.envFiles],
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
    global: {
      sysEnv: SysEnvPolicy;
      timeoutMs: number | null;
      logs: BakedLogSettings;
      oneshots: ReadonlySet<string>;
    },
  ): BakedService {
    const path = `services.${name}`;
    const at = s.$at;
    const sysEnv = s.sys_env ?? global.sysEnv;

    const { envFile, fileVars } = this.fields.envFile(
      s.env_file,
      this.capturedLookup,
      `${path}.env_file`,
      at.env_file,
    );
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
            this.fields.expand(s.working_dir, lookup, `${path}.working_dir`, at.working_dir),
          );
    const { user, group } = this.fields.userAndGroup(s, at, lookup, path);

    const dependsOn: Record<string, BakedDependency> = {};
    for (const dep of s.depends_on ?? []) {
      const condition =
        dep.spec?.condition ??
        (global.oneshots.has(dep.name) ? 'service_completed_successfully' : 'service_started');
      dependsOn[dep.name] = {
        condition,
        timeoutMs: dep.spec?.timeout ?? global.timeoutMs,
        restart: dep.spec?.restart ?? false,
        exitCode: dep.spec?.exit_code ?? null,
        wait: dep.spec?.wait ?? STARTUP_CONDITIONS.has(condition),
        required: dep.spec?.required ?? true,
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
          this.fields.expand(pattern, lookup, `${path}.restart.watch`, s.restart?.watchPos ?? s.restart?.pos),
        ),
        backoff: {
          initialMs: backoff?.initial ?? DEFAULT_BACKOFF.initialMs,
          multiplier: backoff?.multiplier ?? DEFAULT_BACKOFF.multiplier,
          maxMs: backoff?.max ?? DEFAULT_BACKOFF.maxMs,
          resetAfterMs: backoff?.reset_after ?? DEFAULT_BACKOFF.resetAfterMs,
        },
        maxRetries: s.restart?.maxRetries ?? null,
      },
      healthcheck:
        s.healthcheck && !isHealthcheckNone(s.healthcheck) ? this.healthcheck(s.healthcheck) : null,
      hooks,
      user,
      group,
      logs: mergeLogs(global.logs, s.logs),
      limits: {
        memoryBytes: this.fields.memory(
          s.limits?.memory,
          lookup,
          `${path}.limits.memory`,
          s.limits?.$at.memory,
        ),
        cpuTimeSec: s.limits?.cpu_time ?? null,
        maxFds: s.limits?.max_fds ?? null,
      },
      stopSignal: s.stop_signal ?? DEFAULT_STOP_SIGNAL,
      stopGracePeriodMs: s.stop_grace_period ?? DEFAULT_STOP_GRACE_MS,
      priority: s.priority ?? 0,
      ...this.serviceType(s, path, lookup, workingDir),
      ...networkOf(s),
    };
  }

  /** `type`, `pid_file`, `start_timeout`, `stop_command`: present only when set (see BakedService). */
  private serviceType(
    s: NormalizedService,
    path: string,
    lookup: Lookup,
    workingDir: string,
  ): Pick<BakedService, 'type' | 'pidFile' | 'startTimeoutMs' | 'stopCommand'> {
    const type = s.type === undefined || s.type === 'simple' ? undefined : s.type;
    const forking = type === 'forking' && s.pid_file !== undefined;
    return {
      ...(type ? { type } : {}),
      ...(forking
        ? {
            pidFile: resolvePath(
              workingDir,
              this.fields.expand(s.pid_file ?? '', lookup, `${path}.pid_file`, s.$at.pid_file),
            ),
            startTimeoutMs: s.start_timeout ?? DEFAULT_START_TIMEOUT_MS,
          }
        : {}),
      ...(s.stop_command ? { stopCommand: [...s.stop_command] } : {}),
    };
  }

  private hook(hook: NormalizedHook, path: string, parent: HookParent): BakedHook {
    const at = hook.$at;
    const { fileVars } = this.fields.envFile(hook.env_file, parent.lookup, `${path}.env_file`, at.env_file);
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
            this.fields.expand(hook.working_dir, lookup, `${path}.working_dir`, at.working_dir),
          );
    const { user, group } = this.fields.userAndGroup(hook, at, lookup, path);
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
    if (hc.http !== undefined && isOwnPortPath(hc.http)) probe = { kind: 'ownPort', path: hc.http };
    else if (hc.http !== undefined) probe = { kind: 'http', url: hc.http };
    else if (hc.tcp === OWN_PORT_TCP) probe = { kind: 'ownPort', path: null };
    else if (tcp) probe = { kind: 'tcp', host: tcp.host, port: tcp.port };
    else probe = { kind: 'command', test: hc.test ?? [] };
    return {
      probe,
      intervalMs: hc.interval ?? DEFAULT_HEALTH_INTERVAL_MS,
      timeoutMs: hc.timeout ?? DEFAULT_HEALTH_TIMEOUT_MS,
      retries: hc.retries ?? DEFAULT_HEALTH_RETRIES,
      startPeriodMs: hc.start_period ?? DEFAULT_HEALTH_START_PERIOD_MS,
      onUnhealthy: hc.on_unhealthy ?? 'keep',
      startTimeoutMs: hc.start_timeout ?? null,
    };
  }
}

/** `port` and `hostname`, present only when set; a hostname without a port gets `port: auto`. */
function networkOf(s: NormalizedService): Pick<BakedService, 'port' | 'hostname'> {
  const port = s.port ?? (s.hostname !== undefined ? AUTO_PORT : undefined);
  return {
    ...(port !== undefined ? { port } : {}),
    ...(s.hostname !== undefined ? { hostname: s.hostname } : {}),
  };
}
