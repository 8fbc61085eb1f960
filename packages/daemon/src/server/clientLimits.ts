/**
 * Bounds on what clients can make the daemon hold, so that local clients that connect and go quiet
 * (or send a frame's header and never its end) cannot grow the daemon's memory without limit. Each
 * bound says what happens when it is reached; none of them ever stops the daemon.
 */

/**
 * Bytes of incomplete request frames all connections together may hold. A connection whose frame
 * would take the total past it gets an OVERLOADED connection error and is closed; the others are
 * untouched. A request that arrives whole in one read (every normal CLI request) holds nothing.
 */
export const MAX_BUFFERED_CLIENT_BYTES = 32 * 1024 * 1024;

/**
 * How long a frame may stall: once part of a frame has arrived, the next byte must come within this
 * or the connection gets a TIMEOUT connection error and is closed, giving back what it held.
 * `KEPLER_FRAME_STALL_MS` overrides it (for tests).
 */
export const FRAME_STALL_TIMEOUT_MS = 10_000;

/** Environment variable that overrides `FRAME_STALL_TIMEOUT_MS` (a positive integer, in ms). */
export const FRAME_STALL_ENV = 'KEPLER_FRAME_STALL_MS';

/**
 * Client connections open at once. One more is sent an OVERLOADED connection error and closed at
 * once, so a flood of connections cannot use up the daemon's file descriptors (which it needs for
 * its services' pipes and logs).
 */
export const MAX_CLIENT_CONNECTIONS = 4096;

/**
 * The stall timeout in force: `KEPLER_FRAME_STALL_MS` when it is a positive integer, else the default.
 * Returns a warning to log for a value that is set but unusable.
 */
export function frameStallMsFromEnv(env: NodeJS.ProcessEnv): { ms: number; warning?: string } {
  const raw = env[FRAME_STALL_ENV];
  if (raw === undefined || raw === '') return { ms: FRAME_STALL_TIMEOUT_MS };
  const ms = Number(raw);
  if (/^\d+$/.test(raw.trim()) && Number.isSafeInteger(ms) && ms > 0) return { ms };
  return {
    ms: FRAME_STALL_TIMEOUT_MS,
    warning: `${FRAME_STALL_ENV}=${raw} is not a positive integer of milliseconds: using ${FRAME_STALL_TIMEOUT_MS}`,
  };
}

/** Lines about clients turned away (limits, stalls) are written at most this often. */
export const LIMIT_LOG_INTERVAL_MS = 1000;

/**
 * Wraps `log` for lines about clients turned away: a flood of such clients must not flood the
 * daemon's log (and its disk). Writes at most one line per `intervalMs`; the lines dropped in
 * between are counted in the next line written.
 */
export function throttledLog(
  log: (line: string) => void,
  intervalMs = LIMIT_LOG_INTERVAL_MS,
  now: () => number = Date.now,
): (line: string) => void {
  let last = Number.NEGATIVE_INFINITY;
  let dropped = 0;
  return (line) => {
    const t = now();
    if (t - last < intervalMs) {
      dropped++;
      return;
    }
    last = t;
    log(dropped > 0 ? `${line} (and ${dropped} more since the last such line)` : line);
    dropped = 0;
  };
}
