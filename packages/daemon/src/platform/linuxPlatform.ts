import { closeSync } from 'node:fs';
import { removeCgroupOfMarker } from './cgroups.js';
import { openLegacyFifo } from './legacyFifo.js';
import { openOutputFile, openOutputForChild } from './outputFile.js';
import type { Clock, Platform } from './Platform.js';
import { readPidFile } from './pidFile.js';
import { findPortHolders } from './portHolders.js';
import { isSameProcess, watchForeignExit } from './procfs.js';
import { findServiceProcesses } from './serviceProcesses.js';
import { spawnService } from './spawn.js';
import { watchDescendantExit } from './spawner/startViaSpawner.js';
import { launchSlice, spawnSlot } from './spawnPacing.js';
import { stopProcessTree, sweepMarker } from './stop.js';
import { readUsage } from './usage.js';
import { resolveUser } from './users.js';

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (timer) => {
    if (timer) clearTimeout(timer);
  },
};

/** The real OS: Linux processes, /proc, cgroup v2 where writable, util-linux helpers. */
export const linuxPlatform: Platform = {
  spawn: spawnService,
  stopProcessTree,
  sweepMarker,
  isSameProcess,
  watchForeignExit: (pid, startTime) => watchForeignExit(pid, startTime),
  watchDescendantExit,
  readPidFile,
  findServiceProcesses,
  removeCgroupOfMarker,
  readUsage: (targets) => readUsage(targets),
  resolveUser,
  openOutputForChild,
  openOutputFile,
  openLegacyFifo,
  closeFd: (fd) => {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  },
  launchSlice,
  spawnSlot,
  clock: systemClock,
  findPortHolders,
};
