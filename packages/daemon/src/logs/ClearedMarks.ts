import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RetentionSetting } from '@kepler/protocol';
import { LOG_FILE_MODE } from './LogFile.js';

/** Suffix of a mark file (`<service>.cleared`); parseLogFileName ignores it: it is not a log. */
const MARK_SUFFIX = '.cleared';

const SETTINGS: ReadonlySet<string> = new Set<RetentionSetting>([
  'on_start',
  'on_stop',
  'on_restart',
  'on_exit',
]);

/**
 * Which retention setting last cleared a service's own output, kept beside its logs as
 * `<service>.cleared` (one word), so `kepler logs` can say why a service has no stored lines, also
 * after a daemon restart. A mark is overwritten by the next clear and never removed by new output: the
 * reader asks only when the service has no stored lines.
 */
export class ClearedMarks {
  constructor(
    private readonly dir: string,
    private readonly onError: (message: string, cause: unknown) => void,
  ) {}

  /** Records that `by` cleared the service's output. A failed write is reported, never thrown. */
  record(service: string, by: RetentionSetting): void {
    try {
      fs.mkdirSync(this.dir, { recursive: true, mode: 0o750 });
      fs.writeFileSync(this.file(service), `${by}\n`, { mode: LOG_FILE_MODE });
    } catch (err) {
      this.onError(`cannot record the retention clear of ${service}`, err);
    }
  }

  /** The setting that last cleared the service's output, or null (never cleared, or unreadable). */
  read(service: string): RetentionSetting | null {
    try {
      const word = fs.readFileSync(this.file(service), 'utf8').trim();
      return SETTINGS.has(word) ? (word as RetentionSetting) : null;
    } catch {
      return null;
    }
  }

  private file(service: string): string {
    return path.join(this.dir, `${service}${MARK_SUFFIX}`);
  }
}
