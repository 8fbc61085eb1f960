import type { BakedHealthcheck } from '@kepler/config';
import { formatDuration } from '@kepler/config/grammar';
import { shellQuote } from '../format/shellQuote.js';

/** A health check in one line, for warnings and comments: `tcp 127.0.0.1:5432 every 1s`. */
export function describeHealthcheck(hc: BakedHealthcheck): string {
  const { probe } = hc;
  let what: string;
  if (probe.kind === 'http') what = `http ${probe.url}`;
  else if (probe.kind === 'tcp') what = `tcp ${probe.host}:${probe.port}`;
  // The service's own port, named as its environment has it.
  else if (probe.kind === 'ownPort')
    what = probe.path === null ? 'tcp 127.0.0.1:$PORT' : `http http://127.0.0.1:$PORT${probe.path}`;
  else what = `test ${probe.test.map(shellQuote).join(' ')}`;
  return `${what} every ${formatDuration(hc.intervalMs)}`;
}
