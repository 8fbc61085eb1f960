/** The daemon's request handlers, one file per request family; Connection dispatches to them. */
export { createHandlers } from './createHandlers.js';
export type { DaemonInfo, Handler, HandlerTable, RequestContext } from './HandlerTable.js';
export { isValidEvent, runRequest, wireErrorOf } from './runRequest.js';
