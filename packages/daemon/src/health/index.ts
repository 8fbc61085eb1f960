/**
 * Health checks: the monitor (retries, start_period, interval, healthy/unhealthy edges) and one
 * probe per kind (command, http, tcp); a probe's timeout and abort live in probeDeadline.ts.
 */
export { runCommandProbe } from './commandProbe.js';
export {
  type CommandProbeRunner,
  type HealthEvents,
  HealthMonitor,
  type HealthState,
} from './HealthMonitor.js';
export { onOwnPort } from './onOwnPort.js';
export type { ProbeResult } from './probeResult.js';
