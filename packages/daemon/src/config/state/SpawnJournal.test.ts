import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpawnJournal, stopIsNewer, stoppingIsNewer } from './SpawnJournal.js';

let dir: string;
beforeEach(() => {
  dir = join(mkdtempSync(join(tmpdir(), 'kepler-journal-')), 'spawned');
});
afterEach(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

const rec = (spawn: number, pid: number) => ({
  spawn,
  pid,
  startTime: String(1_000_000 + spawn),
  startedAt: '2026-11-22T02:56:17.123Z',
});

describe('SpawnJournal', () => {
  test('reads back the last record per service; none before the first', () => {
    const j = new SpawnJournal(dir);
    expect(j.read('web')).toBeNull();
    j.record('web', rec(1, 4_194_303));
    j.record('db', rec(7, 12));
    expect(j.read('web')).toEqual(rec(1, 4_194_303));
    expect(j.read('db')).toEqual(rec(7, 12));
  });

  test('a shorter record replaces a longer one completely (written in place, no rename)', () => {
    const j = new SpawnJournal(dir);
    j.record('web', rec(123_456, 4_194_303));
    const inode = statSync(join(dir, 'web')).ino;
    j.record('web', rec(123_457, 5));
    expect(j.read('web')).toEqual(rec(123_457, 5));
    expect(statSync(join(dir, 'web')).ino).toBe(inode);
    expect(statSync(join(dir, 'web')).mode & 0o777).toBe(0o640);
    expect(readFileSync(join(dir, 'web')).length).toBe(256);
  });

  test('forget drops a record', () => {
    const j = new SpawnJournal(dir);
    j.record('web', rec(3, 42));
    j.forget('web');
    j.forget('never-recorded');
    expect(j.read('web')).toBeNull();
  });

  test('an unreadable or malformed record counts as none', () => {
    const j = new SpawnJournal(dir);
    writeFileSync(join(dir, 'torn'), '{"spawn":3,"pid":');
    writeFileSync(join(dir, 'wrong'), '{"spawn":"3","pid":1,"start_time":"1","started_at":"x"}');
    expect(j.read('torn')).toBeNull();
    expect(j.read('wrong')).toBeNull();
    const good = { spawn: 3, pid: 42, start_time: '99', started_at: '2026-11-22T02:56:17.123Z' };
    for (const [key, bad] of [
      ['spawn', 0],
      ['spawn', -1],
      ['pid', 1],
      ['pid', -5],
      ['pid', 2 ** 40],
      ['start_time', 'abc'],
      ['started_at', 'yesterday'],
    ] as const) {
      writeFileSync(join(dir, 'bad'), JSON.stringify({ ...good, [key]: bad }));
      expect({ key, bad, read: j.read('bad') }).toEqual({ key, bad, read: null });
    }
    writeFileSync(join(dir, 'bad'), JSON.stringify(good));
    expect(j.read('bad')).toEqual({ spawn: 3, pid: 42, startTime: '99', startedAt: good.started_at });
  });
});

describe('preallocate', () => {
  test('gives each service a blank record (read as none) that later records overwrite in place', async () => {
    const j = new SpawnJournal(dir);
    j.record('db', rec(3, 40));
    await j.preallocate(['web', 'db']);
    expect(j.read('web')).toBeNull();
    expect(j.read('db')).toEqual(rec(3, 40)); // an existing record is kept
    const before = statSync(join(dir, 'web'));
    expect(before.size).toBe(256);
    // The blocks a full disk could no longer give are taken now: a record and a stop need none.
    j.record('web', rec(1, 77));
    j.recordStop('web', 1);
    const after = statSync(join(dir, 'web'));
    expect(after.ino).toBe(before.ino);
    expect(after.size).toBe(256);
    expect(after.blocks).toBe(before.blocks);
    expect(j.read('web')).toMatchObject({ spawn: 1, pid: 77, stoppedAt: expect.any(String) });
  });
});

describe('stopping records', () => {
  test('mark the current spawn before its signal; newer than a state.json written before them', () => {
    const j = new SpawnJournal(dir);
    j.recordStopping('web', 1); // no record of that spawn: nothing to mark
    expect(j.read('web')).toBeNull();
    j.record('web', rec(2, 40));
    j.recordStopping('web', 1); // another spawn: left alone
    expect(j.read('web')).toEqual(rec(2, 40));
    j.recordStopping('web', 2);
    const marked = j.read('web')!;
    expect(marked).toMatchObject({ ...rec(2, 40), stoppingAt: expect.any(String) });
    const at = Date.parse(marked.stoppingAt!);
    expect(stoppingIsNewer(marked, 2, at - 5)).toBe(true);
    expect(stoppingIsNewer(marked, 2, null)).toBe(true);
    expect(stoppingIsNewer(marked, 2, at + 5)).toBe(false); // state.json already says so
    expect(stoppingIsNewer(marked, 3, at - 5)).toBe(false); // a later spawn is in state.json
    j.recordStop('web', 2);
    expect(stoppingIsNewer(j.read('web')!, 2, at - 5)).toBe(false); // the stop finished
  });
});

describe('stop records', () => {
  test('a stop marks the last spawn in place; a later spawn replaces it', () => {
    const j = new SpawnJournal(dir);
    j.record('web', rec(3, 77));
    const inode = statSync(join(dir, 'web')).ino;
    j.recordStop('web', 3);
    const stopped = j.read('web');
    expect(stopped).toMatchObject({ ...rec(3, 77), stoppedAt: expect.any(String) });
    expect(statSync(join(dir, 'web')).ino).toBe(inode);
    j.record('web', rec(4, 78));
    expect(j.read('web')).toEqual(rec(4, 78));
    j.recordStop('db', 0); // never spawned: nothing to record
    expect(j.read('db')).toBeNull();
  });

  test('a stop marks the record it wrote, kept in memory: the file is not read back', () => {
    const j = new SpawnJournal(dir);
    j.record('web', rec(3, 77));
    j.record('db', rec(5, 90));
    // Records only this journal writes: what is in them now cannot be read from the file.
    writeFileSync(join(dir, 'web'), 'not read back');
    writeFileSync(join(dir, 'db'), 'not read back');
    j.recordStopping('web', 3);
    expect(j.read('web')).toMatchObject({ ...rec(3, 77), stoppingAt: expect.any(String) });
    j.recordStop('web', 3);
    expect(j.read('web')).toMatchObject({ ...rec(3, 77), stoppedAt: expect.any(String) });
    j.recordStop('db', 5);
    expect(j.read('db')).toMatchObject({ ...rec(5, 90), stoppedAt: expect.any(String) });
    // A record a former daemon left is read once (recovery does), then kept.
    const next = new SpawnJournal(dir);
    writeFileSync(
      join(dir, 'api'),
      JSON.stringify({ spawn: 2, pid: 60, start_time: '9', started_at: rec(2, 60).startedAt }),
    );
    expect(next.read('api')).toEqual({ spawn: 2, pid: 60, startTime: '9', startedAt: rec(2, 60).startedAt });
    writeFileSync(join(dir, 'api'), 'not read back');
    next.recordStop('api', 2);
    expect(next.read('api')).toMatchObject({
      spawn: 2,
      pid: 60,
      startTime: '9',
      stoppedAt: expect.any(String),
    });
  });

  test('stopIsNewer: only a stop state.json was not written after, for its spawn or a later one', () => {
    const stop = { ...rec(3, 77), stoppedAt: '2026-11-22T03:00:00.000Z' };
    const at = Date.parse(stop.stoppedAt);
    expect(stopIsNewer(stop, 3, at - 1000)).toBe(true); // state.json from before the stop
    expect(stopIsNewer(stop, 3, null)).toBe(true);
    expect(stopIsNewer(stop, 2, at - 1000)).toBe(true);
    expect(stopIsNewer(stop, 3, at + 1000)).toBe(false); // state.json already has it (and what followed)
    expect(stopIsNewer(stop, 4, at - 1000)).toBe(false); // a later spawn
    expect(stopIsNewer(rec(3, 77), 3, at - 1000)).toBe(false); // not a stop
  });
});
