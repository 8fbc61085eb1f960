export type * from './adhoc.js';
export { ByteBudget } from './ByteBudget.js';
export { decodeMessage, encodeMessage } from './codec.js';
export type { ConnectOptions, StreamHandle } from './DaemonClient.js';
export { CLOSE_GRACE_MS, CONNECT_TIMEOUT_MS, DaemonClient, protocolMismatchMessage } from './DaemonClient.js';
export type { DaemonKind, DaemonLocation, Identity } from './daemonLocation.js';
export {
  chooseDaemon,
  currentIdentity,
  DEFAULT_STATE_DIR,
  daemonLocation,
  KEPLER_GROUP,
  mayAutoStart,
  NO_AUTOSTART_ENV,
  STATE_DIR_ENV,
} from './daemonLocation.js';
export type { LocalErrorCode, ProtocolErrorCode } from './errors.js';
export {
  FrameError,
  isErrorCode,
  LOCAL_ERROR_CODES,
  ProtocolError,
  RemoteError,
  toWireError,
} from './errors.js';
export type { FrameConnectionHandlers, FrameConnectionOptions } from './FrameConnection.js';
export { FrameConnection } from './FrameConnection.js';
export type { FrameDecoderOptions } from './framing.js';
export {
  ASSEMBLY_MAX_BLOCK_BYTES,
  ASSEMBLY_MIN_BYTES,
  encodeFrame,
  FRAME_HEADER_BYTES,
  FrameDecoder,
  MAX_FRAME_BYTES,
} from './framing.js';
export type * from './inspectMessages.js';
export { CAUSE_KINDS } from './inspectMessages.js';
export type { LogLineJson, PsRowJson, ServiceJson } from './jsonShapes.js';
export { logLineToJson, psRowsToJson, serviceToJson } from './jsonShapes.js';
export type * from './messages.js';
export {
  CONNECTION_ERROR_ID,
  ERROR_CODES,
  MAX_WAIT_MS,
  PROTOCOL_VERSION,
  SERVICE_STATUSES,
} from './messages.js';
export { adhocConfigPath, pidPath, socketPath, stateDirFromEnv } from './paths.js';
export type * from './snapshotNotes.js';
export {
  ACTIVE_STATUSES,
  isActive,
  isTerminal,
  PENDING_OR_ACTIVE_STATUSES,
  PROCESS_STATUSES,
  PROCESSLESS_STATUSES,
  STARTED_STATUSES,
  TERMINAL_STATUSES,
} from './statuses.js';
export type { InspectJson, TopServiceJson } from './usageJson.js';
export { inspectToJson, topToJson } from './usageJson.js';
export type * from './usageMessages.js';
export type { DaemonEnvelope } from './validate/index.js';
export {
  frameIdOf,
  helloProtocolOf,
  isRequestType,
  parseClientFrame,
  parseDaemonEnvelope,
  parseDaemonFrame,
  parseResult,
  requestIdOf,
} from './validate/index.js';
