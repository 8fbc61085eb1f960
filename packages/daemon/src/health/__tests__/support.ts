// Helpers for the health tests only (not built, not exported): polling and local servers on 127.0.0.1.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import type { Clock } from '../../platform/index.js';

/** Polls `cond` every 5 ms until it holds; throws naming `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;
const servers: (http.Server | net.Server)[] = [];
const sockets = new Set<net.Socket>();

/** Listens on 127.0.0.1 (`port` 0: any free port) until closeServers(). */
export async function listen<T extends http.Server | net.Server>(
  server: T,
  port = 0,
): Promise<{ server: T; port: number }> {
  servers.push(server);
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

export const httpServer = (handler: Handler) => listen(http.createServer(handler));

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Ends every connection and server listen() started; for afterEach. */
export async function closeServers(): Promise<void> {
  for (const s of sockets) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
}

/** A Clock whose timers fire only when the test calls fireTimers(): a timeout without a wait. */
export function manualClock() {
  const timers = new Map<NodeJS.Timeout, () => void>();
  const clock: Clock = {
    now: () => 0,
    setTimeout: (fn) => {
      const handle = setTimeout(() => {}, 0); // an opaque handle only: it fires nothing
      clearTimeout(handle);
      timers.set(handle, fn);
      return handle;
    },
    clearTimeout: (t) => {
      if (t) timers.delete(t);
    },
  };
  const fireTimers = () => {
    const due = [...timers.values()];
    timers.clear();
    for (const fn of due) fn();
  };
  return { clock, timers, fireTimers };
}
