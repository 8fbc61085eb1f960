/**
 * Terminal colours. Whether to colour is decided once per output stream (`colorEnabled`); everything
 * else takes that boolean, so formatting stays a pure function of its inputs.
 */

/** The environment variables that decide colouring. */
export interface ColorEnv {
  readonly NO_COLOR?: string | undefined;
  readonly FORCE_COLOR?: string | undefined;
  readonly TERM?: string | undefined;
}

/**
 * Whether to write ANSI colours to `stream`. Order, as Node itself decides: `FORCE_COLOR` (anything but
 * `0`/`false` forces colour on, those two force it off), then `NO_COLOR` (non-empty turns it off, see
 * no-color.org), then `TERM=dumb` (off), then whether the stream is a TTY.
 */
export function colorEnabled(stream: { readonly isTTY?: boolean }, env: ColorEnv): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return !(force === '0' || force.toLowerCase() === 'false');
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

/** SGR codes of the palette service names are coloured from: readable on dark and light backgrounds. */
export const SERVICE_PALETTE: readonly number[] = [36, 33, 32, 35, 34, 96, 93, 92, 95, 94];

/**
 * The palette entry of a service name: an FNV-1a hash of its UTF-8 bytes, so the same name gets the same
 * colour in every command, every run and every version (it does not depend on the order names appear).
 */
export function serviceColor(name: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(name, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return SERVICE_PALETTE[hash % SERVICE_PALETTE.length] ?? 36;
}

/** Wraps `text` in the SGR `code` when `enabled`; returns it unchanged otherwise. */
export function paint(text: string, code: number, enabled: boolean): string {
  return enabled ? `\x1b[${code}m${text}\x1b[0m` : text;
}

/** Named SGR codes used across the CLI. */
export const SGR = {
  bold: 1,
  dim: 2,
  red: 31,
  green: 32,
  yellow: 33,
  blue: 34,
  magenta: 35,
  cyan: 36,
} as const;

/** Removes ANSI escape sequences (for width computations). */
export function stripAnsi(text: string): string {
  return text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
}
