/** The defaults the bake applies, and how `logs` settings layer (defaults < `kepler.logs` < service). */
import type { NormalizedLogs } from '../schema/index.js';
import type { BakedBackoff, BakedLogSettings } from '../types.js';

/** Seed defaults, applied when neither the service nor `kepler` sets a value. */
export const DEFAULT_HEALTH_INTERVAL_MS = 30_000;
export const DEFAULT_HEALTH_TIMEOUT_MS = 30_000;
export const DEFAULT_HEALTH_RETRIES = 3;
export const DEFAULT_HEALTH_START_PERIOD_MS = 0;
export const DEFAULT_STOP_SIGNAL = 'SIGTERM';
export const DEFAULT_STOP_GRACE_MS = 10_000;
/** `type: forking`: how long its command may take to exit and its pid file to name a live process. */
export const DEFAULT_START_TIMEOUT_MS = 30_000;
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
