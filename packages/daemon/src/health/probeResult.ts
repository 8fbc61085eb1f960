/** Outcome of one probe. */
export interface ProbeResult {
  ok: boolean;
  /** Last ~4 KiB of the command's combined output, or the HTTP status line, or the connect error. */
  output: string;
}

/** Longest output kept from a probe (the tail is kept: errors come last). */
export const MAX_PROBE_OUTPUT_CHARS = 4096;

/** The last MAX_PROBE_OUTPUT_CHARS of a probe's output. */
export function outputTail(s: string): string {
  return s.length > MAX_PROBE_OUTPUT_CHARS ? s.slice(-MAX_PROBE_OUTPUT_CHARS) : s;
}
