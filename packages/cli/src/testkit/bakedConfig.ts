/**
 * Test helper (excluded from the build): a BakedConfig built in memory, every default applied, for
 * the export mappers' row tests. Each service may override any field.
 */
import {
  type BakedConfig,
  type BakedDependency,
  type BakedHealthcheck,
  type BakedHook,
  type BakedRestart,
  type BakedService,
  DEFAULT_BACKOFF,
  DEFAULT_LOG_SETTINGS,
  DEFAULT_STOP_GRACE_MS,
  DEFAULT_STOP_SIGNAL,
  type DependencyCondition,
} from '@kepler/config';

export const TEST_CONFIG_DIR = '/srv/stack';

/** A service as the bake would leave `services.<name>: {command: [...]}`, with `over` applied. */
export function bakedService(name: string, over: Partial<BakedService> = {}): BakedService {
  return {
    name,
    command: ['app', '--serve'],
    workingDir: TEST_CONFIG_DIR,
    environment: {},
    envFile: null,
    sysEnv: 'clear',
    dependsOn: {},
    restart: restartOf('no'),
    healthcheck: null,
    hooks: {},
    user: null,
    group: null,
    logs: DEFAULT_LOG_SETTINGS,
    limits: { memoryBytes: null, cpuTimeSec: null, maxFds: null },
    stopSignal: DEFAULT_STOP_SIGNAL,
    stopGracePeriodMs: DEFAULT_STOP_GRACE_MS,
    priority: 0,
    ...over,
  };
}

/** `restart` with a policy, defaults for the rest. */
export function restartOf(policy: BakedRestart['policy'], over: Partial<BakedRestart> = {}): BakedRestart {
  return { policy, watch: [], backoff: DEFAULT_BACKOFF, maxRetries: null, ...over };
}

/** A `depends_on` edge with a condition, defaults for the rest. */
export function edgeOf(condition: DependencyCondition, over: Partial<BakedDependency> = {}): BakedDependency {
  return { condition, timeoutMs: null, restart: false, exitCode: null, wait: true, required: true, ...over };
}

/** A health check with a probe, defaults for the rest. */
export function healthcheckOf(
  probe: BakedHealthcheck['probe'],
  over: Partial<BakedHealthcheck> = {},
): BakedHealthcheck {
  return {
    probe,
    intervalMs: 30_000,
    timeoutMs: 30_000,
    retries: 3,
    startPeriodMs: 0,
    onUnhealthy: 'keep',
    startTimeoutMs: null,
    ...over,
  };
}

/** A hook running `command` in the test config's directory. */
export function hookOf(command: string[], over: Partial<BakedHook> = {}): BakedHook {
  return {
    command,
    run: null,
    user: null,
    group: null,
    workingDir: TEST_CONFIG_DIR,
    environment: {},
    ...over,
  };
}

/** A config of `services` (in order) at /srv/stack/kepler.yaml. */
export function bakedConfig(services: readonly BakedService[], over: Partial<BakedConfig> = {}): BakedConfig {
  return {
    formatVersion: 1,
    sourcePath: `${TEST_CONFIG_DIR}/kepler.yaml`,
    configDir: TEST_CONFIG_DIR,
    hash: '0'.repeat(64),
    bakedAt: '2030-01-01T00:00:00.000Z',
    capturedEnv: {},
    kepler: { sysEnv: 'clear', timeoutMs: null, logs: DEFAULT_LOG_SETTINGS, hooks: {} },
    services: Object.fromEntries(services.map((s) => [s.name, s])),
    serviceOrder: services.map((s) => s.name),
    envFiles: [],
    ...over,
  };
}

/** A lookup that finds every bare name in /usr/bin and every path as given (relative to cwd). */
export function fakeLookup(argv0: string, cwd: string): string | null {
  if (argv0 === '' || argv0 === 'missing-tool') return null;
  if (argv0.startsWith('/')) return argv0;
  return argv0.includes('/') ? `${cwd}/${argv0.replace(/^\.\//, '')}` : `/usr/bin/${argv0}`;
}
