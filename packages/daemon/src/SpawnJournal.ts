import { closeSync, constants, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isCount, isIsoTime, isPid, isStartTime } from './persistedState.js';

/** The last process spawned for a service: enough to find and adopt it after a daemon crash. */
export interface SpawnRecord {
  /** The service's spawn count with this one (ServiceState.spawns): a record is newer than a state with fewer. */
  readonly spawn: number;
  readonly pid: number;
  /** Start time from /proc/<pid>/stat (clock ticks since boot), as state.json keeps it. */
  readonly startTime: string;
  /** ISO time of the spawn. */
  readonly startedAt: string;
}

/** Fixed record size: each write replaces the whole record in one write(2) to the same page. */
const RECORD_BYTES = 256;

/**
 * One small file per service (`spawned/<service>`) naming the last process spawned for it, written
 * before the spawn is reported. state.json is rewritten for every burst of changes, and a rename over
 * it costs ~1 ms on ext4 (the rename forces the new data out); paying that per spawn made starting
 * 100 services 200 ms slower. A record here costs one write without rename or fsync, which a crash of
 * the daemon cannot lose (the page cache outlives the process), so a daemon killed right after a spawn
 * still finds, and adopts, the process instead of starting a second one.
 */
export class SpawnJournal {
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o750 });
  }

  record(service: string, rec: SpawnRecord): void {
    const { spawn, pid, startTime: start_time, startedAt: started_at } = rec;
    const text = `${JSON.stringify({ spawn, pid, start_time, started_at })}\n`;
    const bytes = Buffer.from(text.padEnd(RECORD_BYTES)); // (a record is ~110 bytes)
    // No O_TRUNC: the record is overwritten in place, so no moment leaves the file empty.
    const fd = openSync(join(this.dir, service), constants.O_WRONLY | constants.O_CREAT, 0o640);
    try {
      writeSync(fd, bytes, 0, bytes.length, 0);
    } finally {
      closeSync(fd);
    }
  }

  /** Drops the service's record: a service that starts over (new in a recreated config) has none. */
  forget(service: string): void {
    rmSync(join(this.dir, service), { force: true });
  }

  /**
   * The service's last record, or null when there is none, it cannot be read, or a field is out of
   * range (a record names the process to adopt: a bad one must not displace state.json's).
   */
  read(service: string): SpawnRecord | null {
    try {
      const parsed = JSON.parse(readFileSync(join(this.dir, service), 'utf8')) as Record<string, unknown>;
      const { spawn, pid, start_time: startTime, started_at: startedAt } = parsed;
      if (!isCount(spawn) || spawn === 0 || !isPid(pid)) return null;
      if (!isStartTime(startTime) || !isIsoTime(startedAt)) return null;
      return { spawn, pid, startTime, startedAt };
    } catch {
      return null;
    }
  }
}
