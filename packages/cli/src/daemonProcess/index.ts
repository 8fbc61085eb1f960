export { autoStartDaemon, startedLine } from './autoStart.js';
export { DAEMON_START_TIMEOUT_MS, startDaemonDetached } from './detach.js';
export { runDaemonForeground } from './foreground.js';
export type { DaemonCommandLine } from './locate.js';
export { DAEMON_NODE_FLAGS, locateDaemon, requireRoot } from './locate.js';
export type { RunningDaemon } from './ping.js';
export { probeDaemon } from './ping.js';
export { DAEMON_STOP_TIMEOUT_MS, stopDaemon } from './stop.js';
