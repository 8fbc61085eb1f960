/**
 * The daemon's OS layer: the only place that spawns, signals, drops privileges and sets rlimits.
 * Linux only: reads /proc, starts services through its fork server (spawner/kepler-spawner.c, built
 * with the package), else through util-linux's prlimit and setpriv; optionally cgroup v2.
 */
export {
  cgroupPathForMarker,
  cgroupsAvailable,
  removeCgroupOfMarker,
  setCgroupsEnabled,
  sweepEmptyCgroups,
} from './cgroups.js';
export { PlatformError, type PlatformErrorCode } from './errors.js';
export { openLegacyFifo } from './legacyFifo.js';
export { linuxPlatform, systemClock } from './linuxPlatform.js';
export { notifySystemd } from './notify.js';
export { type OutputFile, openOutputFile, openOutputForChild } from './outputFile.js';
export type { Clock, ForeignWatch, Platform, StopTreeOptions, SweepOptions } from './Platform.js';
export { type PidFileState, readPidFile } from './pidFile.js';
export { findPortHolders, type PortHolder } from './portHolders.js';
export {
  FOREIGN_EXIT_POLL_MS,
  findProcessesByMarker,
  findProcessesByMarkers,
  isSameProcess,
  type ProcStat,
  readStartTime,
  readStat,
  watchForeignExit,
} from './procfs.js';
export { findServiceProcesses, type ServiceProcess } from './serviceProcesses.js';
export { signalName, signalNumber } from './signals.js';
export {
  DEFAULT_PATH,
  type ProcessExit,
  type SpawnedProcess,
  type SpawnSpec,
  spawnService,
} from './spawn.js';
export { setSpawnerEnabled } from './spawner/startViaSpawner.js';
export { LAUNCHES_PER_TURN, launchSlice, MAX_CONCURRENT_SPAWNS, spawnSlot } from './spawnPacing.js';
export {
  KILL_WAIT_MAX_MS,
  STOP_POLL_MAX_MS,
  STOP_POLL_MIN_MS,
  signalGroup,
  stopProcessTree,
  sweepMarker,
} from './stop.js';
export {
  CLOCK_TICKS_PER_SECOND,
  parseCpuStat,
  parseStatUsage,
  parseVmRss,
  type ResourceUsage,
  readUsage,
  type UsageRoots,
  type UsageTarget,
} from './usage.js';
export { groupIdByName, KEPLER_GROUP_NAME, type ResolvedUser, resolveUser } from './users.js';
