/** Log capture, storage, reading and following for one config's `logs/` directory. */
export type { LogSink } from './CaptureSink.js';
export { LogError, type LogErrorCode } from './LogError.js';
export { LOG_DIR_MODE, LOG_FILE_MODE } from './LogFile.js';
export {
  BUFFER_FLUSH_INTERVAL_MS,
  inBatches,
  type LogFollowQuery,
  type LogReadQuery,
  LogStore,
  type LogStoreOptions,
  MAX_LINE_BYTES,
} from './LogStore.js';
export { type LogSource, logFileName, parseLogFileName } from './logFormat.js';
