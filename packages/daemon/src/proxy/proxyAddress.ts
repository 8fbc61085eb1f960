import { DEFAULT_PROXY_PORT } from '../ports/index.js';

/** Where the daemon's reverse proxy listens: `--proxy ADDR`, else $KEPLER_PROXY_ADDR, else the default. */
export interface ProxyAddress {
  readonly host: string;
  readonly port: number;
}

/** The environment variable a systemd unit sets instead of `--proxy`. */
export const PROXY_ADDR_ENV = 'KEPLER_PROXY_ADDR';
export const DEFAULT_PROXY_HOST = '127.0.0.1';
/** 127.0.0.1:7380 (see DEFAULT_PROXY_PORT). */
export const DEFAULT_PROXY_ADDR = `${DEFAULT_PROXY_HOST}:${DEFAULT_PROXY_PORT}`;

/**
 * Parses `HOST:PORT`, `[IPv6]:PORT`, `:PORT` or `PORT` (host 127.0.0.1). Port 0 lets the OS choose
 * (for tests). Returns a message for anything else.
 */
export function parseProxyAddress(text: string): ProxyAddress | string {
  const match = /^(?:(?:\[([^\]]+)\]|([^:[\]\s]*)):)?(\d{1,5})$/.exec(text.trim());
  const port = match ? Number(match[3]) : Number.NaN;
  if (!match || port > 65_535) return `proxy address must be HOST:PORT or PORT, got ${JSON.stringify(text)}`;
  return { host: match[1] ?? (match[2] || DEFAULT_PROXY_HOST), port };
}
