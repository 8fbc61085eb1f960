/** The daemon's HTTP API, WebSocket streams and dashboard (started by server/Daemon.ts when asked). */
export { HTTP_ENV, HTTP_PUBLIC_ENV, type HttpOptions, httpOptionsFrom } from './httpOptions.js';
export type { Route } from './routeTable.js';
export { HTTP_INFO_FILE, type RunningHttpApi, startHttpApi, TOKEN_FILE } from './startHttpApi.js';
