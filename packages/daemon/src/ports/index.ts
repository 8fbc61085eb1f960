/** Ports and host names: the daemon-wide book, and what a launch asks of it. */
export {
  type AssignInput,
  assignPort,
  freePortFromOs,
  holderMessage,
  type PortAssignment,
} from './assignPort.js';
export {
  DEFAULT_PROXY_PORT,
  PortBook,
  proxyUrl,
  type Route,
  type RouteTarget,
  type ServiceRef,
} from './PortBook.js';
