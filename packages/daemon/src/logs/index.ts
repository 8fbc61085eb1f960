/** Log capture, storage, reading and following for one config's `logs/` directory. */

export { CaptureIndexer, type RawOutput } from './CaptureIndexer.js';
export type { LogSink } from './CaptureSink.js';
export { LogError, type LogErrorCode } from './LogError.js';
export { LOG_DIR_MODE, LOG_FILE_MODE } from './LogFile.js';
export type { LogFollowQuery } from './LogFollowers.js';
export {
  BUFFER_FLUSH_INTERVAL_MS,
  LogStore,
  type LogStoreOptions,
  MAX_LINE_BYTES,
} from './LogStore.js';
export { type LogSource, logFileName, parseLogFileName } from './logFormat.js';
export { type BatchLimits, inBatches, type LogReadQuery } from './mergedRead.js';
export type { TimeWindow } from './timeWindow.js';
