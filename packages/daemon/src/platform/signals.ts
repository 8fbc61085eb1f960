import { constants } from 'node:os';
import { PlatformError } from './errors.js';

const BY_NAME: ReadonlyMap<string, number> = new Map(
  Object.entries(constants.signals).map(([name, n]) => [name, n] as const),
);
const BY_NUMBER: ReadonlyMap<number, string> = (() => {
  const m = new Map<number, string>();
  // First name wins, so aliases (SIGIOT, SIGPOLL) do not shadow the usual names (SIGABRT, SIGIO).
  for (const [name, n] of BY_NAME) if (!m.has(n)) m.set(n, name);
  return m;
})();

/** `15` -> `'SIGTERM'`. An unknown number gives `'SIG<n>'` rather than throwing (exit reporting must not fail). */
export function signalName(n: number): string {
  return BY_NUMBER.get(n) ?? `SIG${n}`;
}

/**
 * `'SIGTERM'`, `'TERM'`, `'sigterm'` or `'15'` -> 15. Throws PlatformError UNKNOWN_SIGNAL for anything else.
 * Does not check that the signal can be caught or sent.
 */
export function signalNumber(name: string): number {
  const trimmed = name.trim();
  if (/^\d+$/.test(trimmed)) {
    const n = Number(trimmed);
    if (BY_NUMBER.has(n)) return n;
  } else {
    const upper = trimmed.toUpperCase();
    const n = BY_NAME.get(upper.startsWith('SIG') ? upper : `SIG${upper}`);
    if (n !== undefined) return n;
  }
  throw new PlatformError('UNKNOWN_SIGNAL', `unknown signal: ${name}`);
}
