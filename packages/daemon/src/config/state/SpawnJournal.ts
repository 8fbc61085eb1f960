import { closeSync, constants, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
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
  /**
   * ISO time this spawn's process was stopped at the user's request (`kepler stop`, daemon stop):
   * the service is `stopped` and not wanted. Absent while the process is the service's current one.
   */
  readonly stoppedAt?: string;
  /**
   * ISO time a stop on request began for this spawn (the signal follows this write): a daemon that dies
   * before state.json says `stopping` still finishes the stop after its restart.
   */
  readonly stoppingAt?: string;
  /** With `stoppingAt`: that stop is a restart's (the service is wanted running after it). */
  readonly restart?: boolean;
}

/** Fixed record size: each write replaces the whole record in one write(2) to the same page. */
const RECORD_BYTES = 256;

/** Record files created at once by preallocate (bounded: 5,000 services must not open 5,000 fds). */
const PREALLOCATE_BATCH = 128;

/**
 * One small file per service (`spawned/<service>`) naming the last process spawned for it, written
 * before the spawn is reported, and marked when that process is stopped on request. state.json is rewritten for every burst of changes, and a rename over
 * it costs ~1 ms on ext4 (the rename forces the new data out); paying that per spawn made starting
 * 100 services 200 ms slower. A record here costs one write without rename or fsync, which a crash of
 * the daemon cannot lose (the page cache outlives the process), so a daemon killed right after a spawn
 * still finds, and adopts, the process instead of starting a second one.
 *
 * The record is rewritten in place in the file's first block, so it needs no free space: on a full
 * disk, where state.json cannot be written, a stop still reaches the disk here, and the next daemon
 * keeps a service the user stopped `stopped` (see stopIsNewer).
 *
 * What it wrote (or read) last per service is kept in memory: a stop marks that record without
 * reading its file back.
 */
export class SpawnJournal {
  /** Each service's record as last written or read here (null: none); a service absent is unknown. */
  private readonly known = new Map<string, SpawnRecord | null>();

  constructor(
    private readonly dir: string,
    private readonly log: (line: string) => void = () => undefined,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o750 });
  }

  /**
   * Gives every service a blank record (RECORD_BYTES of spaces, which read() takes as none) unless it
   * has one, so that later records and stops are written in place: a file created at the first spawn
   * needs a block, which a disk that filled since the config's first start cannot give, and the next
   * daemon would then restart a service the user stopped. Called with the snapshot's first write.
   * Failures are logged (the spawn record then falls back to creating its file).
   */
  async preallocate(services: readonly string[]): Promise<void> {
    const blank = Buffer.alloc(RECORD_BYTES, 0x20);
    for (let i = 0; i < services.length; i += PREALLOCATE_BATCH) {
      const batch = services.slice(i, i + PREALLOCATE_BATCH);
      await Promise.all(
        batch.map(async (service) => {
          try {
            const fh = await open(join(this.dir, service), 'wx', 0o640);
            try {
              await fh.write(blank, 0, blank.length, 0);
            } finally {
              await fh.close();
            }
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
              this.log(`cannot prepare the spawn record of ${service}: ${(e as Error).message}`);
          }
        }),
      );
    }
  }

  record(service: string, rec: SpawnRecord): void {
    const { spawn, pid, startTime: start_time, startedAt: started_at, stoppedAt: stopped_at } = rec;
    const { stoppingAt: stopping_at, restart } = rec;
    const text = `${JSON.stringify({ spawn, pid, start_time, started_at, stopped_at, stopping_at, restart })}\n`;
    const bytes = Buffer.from(text.padEnd(RECORD_BYTES)); // (a record is ~110 bytes)
    // No O_TRUNC: the record is overwritten in place, so no moment leaves the file empty.
    const fd = openSync(join(this.dir, service), constants.O_WRONLY | constants.O_CREAT, 0o640);
    try {
      writeSync(fd, bytes, 0, bytes.length, 0);
    } finally {
      closeSync(fd);
    }
    this.known.set(service, { spawn, pid, startTime: start_time, startedAt: started_at, ...marks(rec) });
  }

  /**
   * Marks the service's last spawn (`spawn`, its spawn count) as stopped on request: its process is
   * gone and the user wants it stopped. Without a record of that spawn it records the stop alone; a
   * service never spawned needs none. A failure is logged, never thrown (the stop itself happened).
   */
  recordStop(service: string, spawn: number): void {
    if (spawn === 0) return;
    const last = this.last(service);
    const same = last !== null && last.spawn === spawn;
    try {
      this.record(service, {
        spawn,
        pid: same ? last.pid : 0,
        startTime: same ? last.startTime : '',
        startedAt: same ? last.startedAt : '',
        stoppedAt: new Date().toISOString(),
      });
    } catch (e) {
      this.log(`cannot record the stop of ${service}: ${(e as Error).message}`);
    }
  }

  /**
   * Marks the service's current spawn as being stopped on request, before its signal is sent: one
   * in-place write (no fsync) that a daemon crash cannot lose, while state.json is written later off
   * the event loop. Only with that spawn's record; a failure is logged, never thrown.
   */
  recordStopping(service: string, spawn: number, restart = false): void {
    const last = this.last(service);
    if (last === null || last.spawn !== spawn || last.stoppedAt !== undefined) return;
    try {
      this.record(service, {
        ...last,
        stoppingAt: new Date().toISOString(),
        ...(restart ? { restart } : {}),
      });
    } catch (e) {
      this.log(`cannot record the stop of ${service}: ${(e as Error).message}`);
    }
  }

  /** Drops the service's record: a service that starts over (new in a recreated config) has none. */
  forget(service: string): void {
    rmSync(join(this.dir, service), { force: true });
    this.known.set(service, null);
  }

  /** The service's last record: the one kept in memory, read from its file only when there is none. */
  private last(service: string): SpawnRecord | null {
    const kept = this.known.get(service);
    return kept !== undefined ? kept : this.read(service);
  }

  /**
   * The service's last record, or null when there is none, it cannot be read, or a field is out of
   * range (a record names the process to adopt: a bad one must not displace state.json's). Reads
   * the file, and keeps what it found for the next stop.
   */
  read(service: string): SpawnRecord | null {
    const rec = this.parse(service);
    this.known.set(service, rec);
    return rec;
  }

  private parse(service: string): SpawnRecord | null {
    try {
      const parsed = JSON.parse(readFileSync(join(this.dir, service), 'utf8')) as Record<string, unknown>;
      const { spawn, pid, start_time: startTime, started_at: startedAt, stopped_at: stoppedAt } = parsed;
      const stoppingAt = parsed.stopping_at;
      if (!isCount(spawn) || spawn === 0) return null;
      if (stoppedAt !== undefined) {
        // A stop record: its process is gone, so a stop without the spawn's record leaves pid 0 and blanks.
        if (!isIsoTime(stoppedAt) || !isCount(pid)) return null;
        if (typeof startTime !== 'string' || typeof startedAt !== 'string') return null;
        return { spawn, pid, startTime, startedAt, stoppedAt };
      }
      if (!isPid(pid) || !isStartTime(startTime) || !isIsoTime(startedAt)) return null;
      const restart = parsed.restart === true ? { restart: true } : {};
      if (isIsoTime(stoppingAt)) return { spawn, pid, startTime, startedAt, stoppingAt, ...restart };
      return { spawn, pid, startTime, startedAt };
    } catch {
      return null;
    }
  }
}

/** A record's stop marks as read() gives them back: a stop record carries no `stoppingAt`. */
function marks(rec: SpawnRecord): Pick<SpawnRecord, 'stoppedAt' | 'stoppingAt' | 'restart'> {
  if (rec.stoppedAt !== undefined) return { stoppedAt: rec.stoppedAt };
  if (rec.stoppingAt === undefined) return {};
  return rec.restart === true
    ? { stoppingAt: rec.stoppingAt, restart: true }
    : { stoppingAt: rec.stoppingAt };
}

/**
 * Whether a stop record says more than state.json: it is for the state's spawn or a later one, and
 * state.json was last written before the stop (a full disk refused every write since). state.json
 * written after the stop already holds it, and whatever the user asked for after it.
 */
export function stopIsNewer(
  rec: SpawnRecord,
  stateSpawns: number,
  stateWrittenAtMs: number | null,
): rec is SpawnRecord & { stoppedAt: string } {
  if (rec.stoppedAt === undefined || rec.spawn < stateSpawns) return false;
  const stoppedAtMs = Date.parse(rec.stoppedAt);
  return Number.isFinite(stoppedAtMs) && (stateWrittenAtMs === null || stateWrittenAtMs < stoppedAtMs);
}

/**
 * Whether a stop that began on request (`recordStopping`) is newer than state.json: for the state's
 * spawn or a later one, and state.json was last written before it, so it cannot say `stopping` yet.
 */
export function stoppingIsNewer(
  rec: SpawnRecord,
  stateSpawns: number,
  stateWrittenAtMs: number | null,
): boolean {
  if (rec.stoppingAt === undefined || rec.stoppedAt !== undefined || rec.spawn < stateSpawns) return false;
  const stoppingAtMs = Date.parse(rec.stoppingAt);
  return Number.isFinite(stoppingAtMs) && (stateWrittenAtMs === null || stateWrittenAtMs <= stoppingAtMs);
}
