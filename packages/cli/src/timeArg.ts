/**
 * Parses the time given to `kepler logs --since/--until`, in the forms `docker compose logs` accepts:
 * a duration before now (`10m`, `1h30m`, `1.5h`, `500ms`), an RFC 3339 / ISO-8601 time (`2026-01-02`,
 * `2026-01-02T13:23`, `2026-01-02T13:23:37.123Z`, `2026-01-02 13:23:37+01:00`; without a zone it is
 * local time) or a Unix timestamp in seconds (`1767360217`, `1767360217.5`).
 */
import { GrammarError, parseDuration } from '@kepler/config/grammar';
import { UsageError } from './errors.js';

/** `YYYY-MM-DD`, then optionally `THH:MM[:SS[.fff]]` (or a space for the T), then optionally a zone. */
const TIMESTAMP =
  /^(\d{4})-(\d\d)-(\d\d)(?:[Tt ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,9}))?)?)?(?:([Zz])|([+-])(\d\d):?(\d\d))?$/;
const UNIX_SECONDS = /^\d+(?:\.\d+)?$/;
/** The last instant a JavaScript Date holds (year 275760), in ms since the epoch. */
const MAX_DATE_MS = 8.64e15;

/**
 * The instant `value` names, in ms since the epoch, for the option `flag` (named in errors).
 * @throws UsageError naming the flag and the accepted forms.
 */
export function parseTimeArg(flag: string, value: string, nowMs: number): number {
  const text = value.trim();
  const bad = () =>
    new UsageError(
      `${flag}: "${value}" is not a time (use a duration such as 10m or 1h30m, or a timestamp such as 2026-01-02T13:23:37Z)`,
    );
  if (UNIX_SECONDS.test(text)) {
    const ms = Math.round(Number(text) * 1000);
    // The protocol carries whole ms a Date can hold: say so here rather than let the daemon refuse it.
    if (ms > MAX_DATE_MS) {
      throw new UsageError(
        `${flag}: "${value}" is too large for Unix seconds (past the year 275760; milliseconds or nanoseconds?)`,
      );
    }
    return ms;
  }
  const m = TIMESTAMP.exec(text);
  if (m) return timestampOf(m) ?? throwIt(bad());
  try {
    return nowMs - parseDuration(text);
  } catch (error) {
    if (error instanceof GrammarError) throw bad();
    throw error;
  }
}

function throwIt(error: Error): never {
  throw error;
}

/** The instant of a TIMESTAMP match, or null for an impossible date or time (month 13, 25:00). */
function timestampOf(m: RegExpExecArray): number | null {
  const n = (i: number) => Number(m[i] ?? 0);
  const [y, mo, d, h, mi, s] = [n(1), n(2), n(3), n(4), n(5), n(6)];
  const ms = Math.floor(Number(`0.${m[7] ?? '0'}`) * 1000);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return null;
  let t: number;
  if (m[8] === undefined && m[9] === undefined) {
    const local = new Date(y, mo - 1, d, h, mi, s, ms);
    if (local.getDate() !== d) return null; // Feb 30 rolled over
    t = local.getTime();
  } else {
    t = Date.UTC(y, mo - 1, d, h, mi, s, ms);
    if (new Date(t).getUTCDate() !== d) return null;
    if (m[9] !== undefined) t -= (m[9] === '-' ? -1 : 1) * (n(10) * 60 + n(11)) * 60_000;
  }
  return t;
}
