/**
 * Test helper (excluded from the build): a BakedConfig built in memory, every default applied, for
 * the export mappers' row tests. Each service may override any field.
 */
import {
  type BakedConfig,
  type BakedService,
  DEFAULT_BACKOFF,
  DEFAULT_LOG_SETTINGS,
  DEFAULT_STOP_GRACE_MS,
  DEFAULT_STOP_SIGNAL,
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
    restart: { policy: 'no', watch: [], backoff: DEFAULT_BACKOFF },
    healthcheck: null,
    hooks: {},
    user: null,
    group: null,
    logs: DEFAULT_LOG_SETTINGS,
    limits: { memoryBytes: null, cpuTimeSec: null, maxFds: null },
    stopSignal: DEFAULT_STOP_SIGNAL,
    stopGracePeriodMs: DEFAULT_STOP_GRACE_MS,
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
