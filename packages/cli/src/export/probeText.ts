import type { BakedHealthcheck } from '@kepler/config';
import { formatDuration } from '@kepler/config/grammar';
import { shellQuote } from '../format/shellQuote.js';

/** A health check in one line, for warnings and comments: `tcp 127.0.0.1:5432 every 1s`. */
export function describeHealthcheck(hc: BakedHealthcheck): string {
  const { probe } = hc;
  const what =
    probe.kind === 'http'
      ? `http ${probe.url}`
      : probe.kind === 'tcp'
        ? `tcp ${probe.host}:${probe.port}`
        : `test ${probe.test.map(shellQuote).join(' ')}`;
  return `${what} every ${formatDuration(hc.intervalMs)}`;
}
