/** The daemon's HTTP reverse proxy (routes by Host to services' ports) and where it listens. */

export { ProxyHost } from './ProxyHost.js';
export { DEFAULT_PROXY_ADDR, PROXY_ADDR_ENV, type ProxyAddress, parseProxyAddress } from './proxyAddress.js';
export { hostOnly } from './ReverseProxy.js';
