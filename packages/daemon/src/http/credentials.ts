import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, chownSync, lstatSync, readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { writeFileAtomic } from '../config/state/atomicWrite.js';

/** Mode of the token file: readable by the `kepler` group, exactly who may use the socket. */
export const TOKEN_MODE_GROUP = 0o640;
/** Mode of the token file without a `kepler` group, or of a personal daemon (as its socket). */
export const TOKEN_MODE_ROOT_ONLY = 0o600;
/** How long a login code from `kepler dashboard` may wait for its browser. */
export const LOGIN_CODE_TTL_MS = 2 * 60_000;
/** Login codes outstanding at once; the oldest is dropped for a new one. */
export const MAX_LOGIN_CODES = 16;
/** How long a browser session lasts without a new login. */
export const SESSION_TTL_MS = 12 * 60 * 60_000;
/** Browser sessions at once; the oldest is dropped for a new one. */
export const MAX_SESSIONS = 64;
/**
 * The WebSocket subprotocol `kepler-session.<key>` carries the key on an upgrade (a browser cannot set
 * headers on a WebSocket); the server selects it, as the handshake requires.
 */
export const SESSION_PROTOCOL_PREFIX = 'kepler-session.';

const TOKEN_PATTERN = /^[0-9a-f]{64}$/;

/** The mode of a file as readable as the socket: 0640 with the `kepler` group, else 0600. */
export function fileModeFor(gid: number | null): number {
  return gid === null ? TOKEN_MODE_ROOT_ONLY : TOKEN_MODE_GROUP;
}

/**
 * Sets a state file's owner and mode to the socket's: root's daemon gives it to root:kepler (root
 * alone without the group); a personal daemon's stays its user's.
 */
export function readableAsSocket(path: string, gid: number | null): void {
  if (process.getuid?.() === 0) chownSync(path, 0, gid ?? 0);
  chmodSync(path, fileModeFor(gid));
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/**
 * Who may use the HTTP API: whoever holds the bearer token kept in the state directory (`http.token`,
 * as readable as the socket is), or a browser session begun with a one-time login code that a token
 * holder asked for (`kepler dashboard`). Tokens are compared in constant time (as digests, so their
 * length does not show either); sessions and codes live in memory, bounded, and die with the daemon.
 *
 * A session's key is never a cookie: browsers send a cookie for 127.0.0.1 to every port of it, so any
 * local web server would receive it. The page keeps the key in its origin's storage and sends it
 * itself (`sessionKeyOf`).
 */
export class ApiCredentials {
  private readonly tokenDigest: Buffer;
  /** digest hex -> expiry (ms): one-time codes, and sessions. */
  private readonly codes = new Map<string, number>();
  private readonly sessions = new Map<string, number>();

  private constructor(
    token: string,
    private readonly now: () => number,
  ) {
    this.tokenDigest = digest(token);
  }

  /**
   * Reads the token file, or writes a new token when it is missing or not a token; sets its owner and
   * mode either way (root:kepler 0640; 0600 without the group or for a personal daemon).
   */
  static load(path: string, gid: number | null, now: () => number = Date.now): ApiCredentials {
    let token = '';
    try {
      // lstat: a symlink planted in the state directory is replaced, never followed.
      if (lstatSync(path).isFile()) token = readFileSync(path, 'utf8').trim();
    } catch {
      // Missing: written below.
    }
    if (!TOKEN_PATTERN.test(token)) {
      token = randomBytes(32).toString('hex');
      writeFileAtomic(path, `${token}\n`, fileModeFor(gid));
    }
    readableAsSocket(path, gid);
    return new ApiCredentials(token, now);
  }

  /** For tests: credentials around a given token. */
  static forToken(token: string, now: () => number = Date.now): ApiCredentials {
    return new ApiCredentials(token, now);
  }

  /** True when `header` is `Bearer <the token>`. */
  checkBearer(header: string | undefined): boolean {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    return m !== null && timingSafeEqual(digest(m[1]!), this.tokenDigest);
  }

  /** True when `key` (from `sessionKeyOf`) is a live session's. */
  checkSession(key: string | null): boolean {
    return key !== null && key !== '' && this.live(this.sessions, key);
  }

  /** How long the live session of `key` has left (ms), or null: a stream it opened ends then. */
  sessionLeftMs(key: string | null): number | null {
    if (!this.checkSession(key)) return null;
    return (this.sessions.get(digest(key as string).toString('hex')) as number) - this.now();
  }

  /** A new one-time login code (for `kepler dashboard`'s link). */
  newLoginCode(): string {
    return this.issue(this.codes, LOGIN_CODE_TTL_MS, MAX_LOGIN_CODES);
  }

  /** Spends a login code: a new session id when it was live, else null. A code works once. */
  redeem(code: string): string | null {
    if (!this.live(this.codes, code)) return null;
    this.codes.delete(digest(code).toString('hex'));
    return this.issue(this.sessions, SESSION_TTL_MS, MAX_SESSIONS);
  }

  private issue(into: Map<string, number>, ttlMs: number, max: number): string {
    this.sweep(into);
    if (into.size >= max) into.delete(into.keys().next().value as string);
    const secret = randomBytes(24).toString('base64url');
    into.set(digest(secret).toString('hex'), this.now() + ttlMs);
    return secret;
  }

  private live(map: Map<string, number>, secret: string): boolean {
    const key = digest(secret).toString('hex');
    const expiry = map.get(key);
    if (expiry === undefined) return false;
    if (expiry > this.now()) return true;
    map.delete(key);
    return false;
  }

  private sweep(map: Map<string, number>): void {
    const t = this.now();
    for (const [k, expiry] of map) if (expiry <= t) map.delete(k);
  }
}

/**
 * The session key a request carries: `Authorization: Session <key>`, or on a WebSocket upgrade the
 * subprotocol `kepler-session.<key>`; null without one. Cookies are not read.
 */
export function sessionKeyOf(headers: IncomingHttpHeaders, upgrade: boolean): string | null {
  const m = /^Session\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
  if (m) return m[1]!;
  if (!upgrade) return null;
  return sessionProtocolOf((headers['sec-websocket-protocol'] ?? '').split(','));
}

/** The session subprotocol among those a WebSocket client offers, or null. */
export function sessionProtocolOf(protocols: Iterable<string>): string | null {
  for (const p of protocols) {
    const t = p.trim();
    if (t.startsWith(SESSION_PROTOCOL_PREFIX)) return t.slice(SESSION_PROTOCOL_PREFIX.length);
  }
  return null;
}
