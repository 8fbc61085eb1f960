export type { DaemonEnvelope } from './frames.js';
export {
  frameIdOf,
  helloProtocolOf,
  parseClientFrame,
  parseDaemonEnvelope,
  parseDaemonFrame,
  parseResult,
  requestIdOf,
} from './frames.js';
export { isRequestType } from './requests.js';
