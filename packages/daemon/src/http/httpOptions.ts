import { isIP } from 'node:net';
import { StartupError } from '../errors.js';

/** Environment variable naming the HTTP address (for a systemd unit): as `--http ADDR`. */
export const HTTP_ENV = 'KEPLER_HTTP';
/** Environment variable that allows a non-loopback HTTP address (`1` or `true`): as `--http-public`. */
export const HTTP_PUBLIC_ENV = 'KEPLER_HTTP_PUBLIC';

/** Where the daemon serves HTTP, when it is asked to. */
export interface HttpOptions {
  readonly host: string;
  /** 0: any free port (the chosen one is written to `http.json`). */
  readonly port: number;
  /** The address is not a loopback one and `--http-public` allowed it. */
  readonly public: boolean;
}

/**
 * Parses `ADDR`: `HOST:PORT`, `[V6]:PORT`, `:PORT` or `PORT` (the last two mean 127.0.0.1, never every
 * interface: exposing the API is always spelled out).
 */
export function parseHttpAddress(addr: string): { host: string; port: number } {
  const raw = addr.trim();
  let host = '127.0.0.1';
  let portText = raw;
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(raw);
  if (v6) {
    host = v6[1]!;
    portText = v6[2]!;
  } else if (raw.includes(':')) {
    const at = raw.lastIndexOf(':');
    if (at > 0) host = raw.slice(0, at);
    portText = raw.slice(at + 1);
  }
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) {
    throw new StartupError(
      `--http ${addr}: expected HOST:PORT, [IPV6]:PORT or PORT (a port from 0 to 65535)`,
    );
  }
  if (!v6 && host.includes(':')) {
    throw new StartupError(`--http ${addr}: write an IPv6 address in brackets, e.g. [::1]:${port}`);
  }
  return { host, port };
}

/** True for `localhost`, 127.0.0.0/8, ::1 and ::ffff:127.x: only this machine can connect. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/**
 * The HTTP options from `--http`/`--http-public` (given first) or the environment; null when HTTP is
 * not asked for. Refuses a non-loopback address without `--http-public`.
 */
export function httpOptionsFrom(
  flags: { http?: string | null; httpPublic?: boolean },
  env: NodeJS.ProcessEnv,
): HttpOptions | null {
  const addr = flags.http ?? env[HTTP_ENV] ?? '';
  if (addr === '') return null;
  const allowPublic = flags.httpPublic === true || /^(1|true|yes)$/i.test(env[HTTP_PUBLIC_ENV] ?? '');
  const { host, port } = parseHttpAddress(addr);
  const loopback = isLoopback(host);
  if (!loopback && !allowPublic) {
    throw new StartupError(
      `refusing to serve HTTP on ${host}, which is not a loopback address: anyone who can reach it could try the token. Add --http-public (or ${HTTP_PUBLIC_ENV}=1) if you mean it`,
    );
  }
  return { host, port, public: !loopback };
}
