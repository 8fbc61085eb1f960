// The reverse proxy's thread (bundled as dist/proxyWorker.js; ProxyHost starts it): its own event
// loop, so proxied traffic does not delay the daemon's clients and supervision, and its own young
// generation (the daemon's main thread keeps 1 MiB: see main.ts), so per-request garbage is cheap.
import { parentPort, workerData } from 'node:worker_threads';
import type { ProxyAddress } from './proxyAddress.js';
import { ReverseProxy } from './ReverseProxy.js';
import { type FromProxy, RouteTable, type ToProxy } from './routeTable.js';

const port = parentPort;
if (port === null) throw new Error('proxyWorker.js runs as a worker thread');
const table = new RouteTable();
const proxy = new ReverseProxy(table, workerData as ProxyAddress);
const say = (message: FromProxy) => port.postMessage(message);
port.on('message', (message: ToProxy) => {
  if (message.type !== 'routes') return;
  table.replace(message.routes, message.urlPort);
  proxy.dropPoolsExcept(new Set(message.routes.map((r) => r.port).filter((p) => p !== null)));
});
// One bad request or answer must not end the proxy for every service: report it and go on.
process.on('uncaughtException', (err) =>
  say({ type: 'log', line: `reverse proxy: ${err.stack ?? err.message}` }),
);
proxy.listen().then(
  (listening) => say({ type: 'listening', port: listening }),
  (err: Error) => say({ type: 'error', message: err.message }),
);
