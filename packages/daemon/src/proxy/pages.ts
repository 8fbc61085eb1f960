import type { ServerResponse } from 'node:http';
import type { RouteInfo } from './routeTable.js';

/** Seconds a client is told to wait before retrying a service that is starting. */
export const STARTING_RETRY_AFTER_S = 1;

/** Writes a short plain-text page and ends the response. */
export function page(
  res: ServerResponse,
  status: number,
  body: string,
  extra: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const bytes = Buffer.from(`${body}\n`);
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': bytes.length,
    'cache-control': 'no-store',
    ...extra,
  });
  res.end(bytes);
}

/** The 404 body: the Host asked for and every route the proxy knows. */
export function unknownHostBody(
  host: string,
  routes: readonly RouteInfo[],
  urlOf: (h: string) => string,
): string {
  const lines = routes.map((r) => `  ${urlOf(r.hostname)} -> service ${r.service} of ${r.config}`);
  return [
    `kepler: no service is routed for Host ${JSON.stringify(host)}`,
    routes.length === 0 ? 'no routes are known (no started service has a hostname)' : 'known routes:',
    ...lines,
  ].join('\n');
}

/** The same page as raw bytes, for an upgrade request (no ServerResponse there). */
export function rawPage(
  status: number,
  reason: string,
  body: string,
  extra: Record<string, string> = {},
): string {
  const bytes = Buffer.byteLength(`${body}\n`);
  const headers = Object.entries(extra).map(([k, v]) => `${k}: ${v}\r\n`);
  return `HTTP/1.1 ${status} ${reason}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${bytes}\r\nconnection: close\r\n${headers.join('')}\r\n${body}\n`;
}
