import { settleWithin } from './probeDeadline.js';
import type { ProbeResult } from './probeResult.js';

/**
 * HTTP(S) GET probe: passes on a 2xx or 3xx status. Redirects are not followed, the body is discarded
 * unread, TLS certificates are not verified (liveness, not identity), no connection is kept alive.
 * The output is the status line (`HTTP 503 Service Unavailable`) or the error. Never rejects.
 */
export async function runHttpProbe(
  url: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<ProbeResult> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, output: `invalid URL: ${url}` };
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    return { ok: false, output: `unsupported URL scheme: ${parsed.protocol}` };
  // Loaded on first use: node:https (TLS) costs the idle daemon ~2 MB of resident memory.
  const client = parsed.protocol === 'https:' ? await import('node:https') : await import('node:http');
  return settleWithin(timeoutMs, signal, `timed out after ${timeoutMs} ms`, (finish) => {
    const req = client.get(
      parsed,
      { agent: false, rejectUnauthorized: false, headers: { 'user-agent': 'kepler-healthcheck' } },
      (res) => {
        const code = res.statusCode ?? 0;
        res.resume();
        finish({
          ok: code >= 200 && code < 400,
          output: `HTTP ${code} ${res.statusMessage ?? ''}`.trimEnd(),
        });
      },
    );
    req.on('error', (e) => finish({ ok: false, output: e.message }));
    return () => req.destroy(); // no body, no keep-alive: the socket goes now
  });
}
