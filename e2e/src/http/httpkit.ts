import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { TestDaemon, waitFor } from '../testkit.js';

/** A JSON value the API answered, read by the tests' assertions (which check its shape). */
// biome-ignore lint/suspicious/noExplicitAny: JSON from the daemon; each test asserts the fields it reads
export type Json = any;

/** A real daemon serving HTTP on a free loopback port, its base URL and its token. */
export interface HttpDaemon {
  readonly daemon: TestDaemon;
  readonly url: string;
  readonly token: string;
}

/** Starts a daemon with `--http 127.0.0.1:0` (plus `env`) and reads where it listens and its token. */
export async function startHttpDaemon(name: string, env: NodeJS.ProcessEnv = {}): Promise<HttpDaemon> {
  const daemon = new TestDaemon(name);
  await daemon.start({ args: ['--http', '127.0.0.1:0'], env });
  const info = JSON.parse(readFileSync(join(daemon.stateDir, 'http.json'), 'utf8')) as { url: string };
  const token = readFileSync(join(daemon.stateDir, 'http.token'), 'utf8').trim();
  return { daemon, url: info.url, token };
}

export interface ApiAnswer {
  readonly status: number;
  readonly body: Json;
  readonly headers: Headers;
}

/** One HTTP request; `token: null` sends none. The body is parsed as JSON when it is JSON. */
export async function call(
  d: HttpDaemon,
  path: string,
  opts: {
    method?: string;
    body?: unknown;
    rawBody?: string;
    token?: string | null;
    headers?: Record<string, string>;
  } = {},
): Promise<ApiAnswer> {
  const token = opts.token === undefined ? d.token : opts.token;
  const res = await fetch(`${d.url}${path}`, {
    method: opts.method ?? (opts.body !== undefined || opts.rawBody !== undefined ? 'POST' : 'GET'),
    headers: { ...(token === null ? {} : { Authorization: `Bearer ${token}` }), ...opts.headers },
    body: opts.rawBody ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
    redirect: 'manual',
  });
  const text = await res.text();
  let body: unknown = text;
  if ((res.headers.get('content-type') ?? '').startsWith('application/json')) body = JSON.parse(text);
  return { status: res.status, body, headers: res.headers };
}

/** A WebSocket to the daemon with the token; collects every message it receives (parsed). */
export class WsClient {
  readonly ws: WebSocket;
  readonly messages: Json[] = [];
  closeCode: number | null = null;
  readonly opened: Promise<void>;
  readonly closed: Promise<number>;

  constructor(d: HttpDaemon, path: string, token: string | null = d.token) {
    this.ws = new WebSocket(`${d.url.replace(/^http/, 'ws')}${path}`, {
      headers: token === null ? {} : { Authorization: `Bearer ${token}` },
    });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) =>
      this.ws.once('close', (code) => {
        this.closeCode = code;
        resolve(code);
      }),
    );
    this.ws.on('message', (data) => this.messages.push(JSON.parse(String(data))));
  }

  /** The first message (from `from` on) that `match` accepts, polled with a deadline. */
  waitMessage(match: (m: Json) => boolean, what: string, timeoutMs = 15_000, from = 0): Promise<Json> {
    return waitFor(() => this.messages.slice(from).find(match) ?? null, what, { timeoutMs, intervalMs: 25 });
  }

  close(): void {
    this.ws.close();
  }
}

/** A config whose services are shell loops printing a line every 0.2 s; returns its path. */
export function writeTickers(
  daemon: TestDaemon,
  names: readonly string[],
  file = 'kepler.yaml',
  extra = '',
): string {
  const services = names
    .map(
      (n) =>
        `  ${n}:\n    command: ["sh", "-c", "echo started ${n}; while true; do echo tick ${n}; sleep 0.2; done"]\n    stop_grace_period: 1s\n${extra}`,
    )
    .join('');
  return daemon.writeConfig(`services:\n${services}`, file);
}
