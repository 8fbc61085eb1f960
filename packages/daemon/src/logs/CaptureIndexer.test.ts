import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BakedLogSettings } from '@kepler/config';
import { recordsOf, settings, tempDir } from './__tests__/support.js';
import type { RawOutput } from './CaptureIndexer.js';
import { CheckpointFile, recoverCapture } from './captureCheckpoint.js';
import { LogStore } from './LogStore.js';

/** A service's output file in memory: what the kernel keeps, whatever the daemon does. */
class MemoryOutput implements RawOutput {
  data = Buffer.alloc(0);
  releasedTo = 0;
  /** Bytes handed out by `read()`, to check each is read once. */
  readBytes = 0;
  constructor(readonly id = 7) {}
  append(s: string): void {
    this.data = Buffer.concat([this.data, Buffer.from(s, 'latin1')]);
  }
  size(): number {
    return this.data.length;
  }
  read(buf: Buffer, pos: number): number {
    if (pos >= this.data.length) return 0;
    const n = this.data.copy(buf, 0, pos, Math.min(this.data.length, pos + buf.length));
    this.readBytes += n;
    return n;
  }
  release(upTo: number): void {
    this.releasedTo = upTo;
  }
}

let dirs: string[] = [];
let stores: LogStore[] = [];

function makeStore(dir: string, over: Partial<BakedLogSettings> = {}, maxLineBytes?: number): LogStore {
  const store = new LogStore({ dir, settings: () => settings(over), maxLineBytes });
  stores.push(store);
  return store;
}

function logsDir(): string {
  const root = tempDir();
  dirs.push(root);
  return path.join(root, 'logs');
}

afterEach(() => {
  for (const s of stores) s.closeAll();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  stores = [];
  dirs = [];
});

const OUT = { service: 'web', hook: null, stream: 'stdout' } as const;

test('stores whole lines; a line still being written stays unread until its newline', () => {
  const dir = logsDir();
  const raw = new MemoryOutput();
  const capture = makeStore(dir).capture(OUT, raw);
  raw.append('one\ntwo\nthr');
  capture.drain();
  expect(recordsOf(path.join(dir, 'web.stdout.log'))).toEqual(['one', 'two']);
  expect(capture.offset).toBe(8);
  raw.append('ee\n');
  capture.drain();
  expect(recordsOf(path.join(dir, 'web.stdout.log'))).toEqual(['one', 'two', 'three']);
});

test('a long line written in many small appends is read once, not again on every append', () => {
  const dir = logsDir();
  const raw = new MemoryOutput();
  const capture = makeStore(dir).capture(OUT, raw);
  raw.append('first\n');
  for (let i = 0; i < 2000; i++) {
    raw.append('y'.repeat(100));
    capture.drain();
  }
  expect(capture.offset).toBe(6); // the line is not stored before its end
  raw.append('\nnext\n');
  capture.drain();
  expect(recordsOf(path.join(dir, 'web.stdout.log'))).toEqual(['first', 'y'.repeat(200_000), 'next']);
  expect(raw.readBytes).toBe(raw.size()); // re-reading the tail on every append: 200 MB
});

test('held bytes: cut at the cap as they reach it, and a last line without newline stored at the end', () => {
  const dir = logsDir();
  const raw = new MemoryOutput();
  const capture = makeStore(dir, {}, 5).capture(OUT, raw);
  for (const part of ['ab', 'cd', 'efg', 'h\nij', 'k', 'lmnopq']) {
    raw.append(part);
    capture.drain();
  }
  expect(recordsOf(path.join(dir, 'web.stdout.log'))).toEqual(['abcde', 'fgh', 'ijklm']);
  raw.append('r');
  capture.drain(true);
  expect(recordsOf(path.join(dir, 'web.stdout.log'))).toEqual(['abcde', 'fgh', 'ijklm', 'nopqr']);
  expect(raw.readBytes).toBe(raw.size());
});

test('the process ended: a last line without a newline is stored as a line', () => {
  const dir = logsDir();
  const raw = new MemoryOutput();
  const capture = makeStore(dir).capture(OUT, raw);
  raw.append('a\nlast words');
  capture.drain(true);
  expect(recordsOf(path.join(dir, 'web.stdout.log'))).toEqual(['a', 'last words']);
});

test('a line longer than the cap is stored in records of the cap, without waiting for its end', () => {
  const dir = logsDir();
  const raw = new MemoryOutput();
  const capture = makeStore(dir, {}, 4).capture(OUT, raw);
  raw.append('abcdefghij');
  capture.drain();
  expect(recordsOf(path.join(dir, 'web.stdout.log'))).toEqual(['abcd', 'efgh']);
  raw.append('\n');
  capture.drain();
  expect(recordsOf(path.join(dir, 'web.stdout.log'))).toEqual(['abcd', 'efgh', 'ij']);
});

test('a daemon killed after writing records but before their checkpoint: cut back, stored again once', () => {
  const dir = logsDir();
  const raw = new MemoryOutput();
  const capture = makeStore(dir).capture(OUT, raw);
  raw.append('1\n2\n');
  capture.drain();
  const checkpoint = new CheckpointFile(path.join(dir, 'web.stdout.log.pos')).read();
  raw.append('3\n4\n');
  capture.drain();
  // The kill: the records of 3 and 4 are in the log, the checkpoint still says 1 and 2.
  new CheckpointFile(path.join(dir, 'web.stdout.log.pos')).write(checkpoint!);
  fs.appendFileSync(path.join(dir, 'web.stdout.log'), '2026-01-01T00:00:00.000Z 3-part');
  raw.append('5\n');
  const next = makeStore(dir).capture(OUT, raw);
  expect(next.offset).toBe(4);
  next.drain();
  expect(recordsOf(path.join(dir, 'web.stdout.log'))).toEqual(['1', '2', '3', '4', '5']);
});

test('buffer_size > 0: lines buffered when the daemon dies are stored by the next one (none lost)', () => {
  const dir = logsDir();
  const raw = new MemoryOutput();
  const store = makeStore(dir, { bufferSize: 1024 * 1024 });
  const capture = store.capture(OUT, raw);
  raw.append('a\nb\n');
  capture.drain();
  store.flushAll();
  raw.append('c\nd\n');
  capture.drain(); // buffered: not on disk, not in the checkpoint
  expect(recordsOf(path.join(dir, 'web.stdout.log'))).toEqual(['a', 'b']);
  stores = stores.filter((s) => s !== store); // killed: never flushed
  const next = makeStore(dir).capture(OUT, raw);
  next.drain();
  expect(recordsOf(path.join(dir, 'web.stdout.log'))).toEqual(['a', 'b', 'c', 'd']);
});

test('a new output file (another inode) is stored from its end: what is in it came before', () => {
  const dir = logsDir();
  const raw = new MemoryOutput(1);
  const capture = makeStore(dir).capture(OUT, raw);
  raw.append('old\n');
  capture.drain();
  capture.close();
  const other = new MemoryOutput(2);
  other.append('x\n');
  const next = makeStore(dir).capture(OUT, other);
  expect(next.offset).toBe(2);
});

test('a size-cap rewrite the daemon died in the middle of is completed from its checkpoint', () => {
  const dir = logsDir();
  fs.mkdirSync(dir, { recursive: true });
  const log = path.join(dir, 'web.stdout.log');
  fs.writeFileSync(log, 'old records\n');
  fs.writeFileSync(`${log}.tmp`, 'new\n');
  const c = { rawId: 7, rawEnd: 40, logId: fs.statSync(`${log}.tmp`).ino, logSize: 4 };
  expect(recoverCapture(log, c, 7, 100)).toBe(40);
  expect(fs.readFileSync(log, 'utf8')).toBe('new\n');
  expect(fs.existsSync(`${log}.tmp`)).toBe(false);
});

test('storage is given back once stored bytes pile up, and when the capture ends', () => {
  const dir = logsDir();
  const raw = new MemoryOutput();
  const capture = makeStore(dir).capture(OUT, raw);
  const line = `${'x'.repeat(99)}\n`;
  raw.append(line.repeat(100_000)); // 10 MB: kept until output pauses
  capture.drain();
  expect(raw.releasedTo).toBe(0);
  raw.append(line.repeat(300_000)); // 40 MB in all
  capture.drain();
  expect(raw.releasedTo).toBe(raw.size());
  raw.append(line);
  capture.drain();
  capture.close();
  expect(raw.releasedTo).toBe(raw.size());
});

test('a stream with store: false is followed, not stored; after a restart it goes on from the end', () => {
  const dir = logsDir();
  const raw = new MemoryOutput();
  const store = makeStore(dir, { store: { stdout: false, stderr: true } });
  const seen: string[] = [];
  store.follow({ services: [] }, (lines) => seen.push(...lines.map((l) => l.line.toString())));
  const capture = store.capture(OUT, raw);
  raw.append('a\nb\n');
  capture.drain();
  expect(seen).toEqual(['a', 'b']);
  expect(fs.existsSync(path.join(dir, 'web.stdout.log'))).toBe(false);
  raw.append('while down\n');
  expect(makeStore(dir, { store: { stdout: false, stderr: true } }).capture(OUT, raw).offset).toBe(
    raw.size(),
  );
});

test('with the size cap rewriting the log, the checkpoint names the log in place and its size', () => {
  const dir = logsDir();
  const raw = new MemoryOutput();
  const capture = makeStore(dir, { maxSizeBytes: 2000 }).capture(OUT, raw);
  for (let i = 0; i < 200; i++) {
    raw.append(`line ${i}\n`);
    capture.drain();
  }
  const log = path.join(dir, 'web.stdout.log');
  const c = new CheckpointFile(`${log}.pos`).read()!;
  expect(c).toEqual({
    rawId: 7,
    rawEnd: raw.size(),
    logId: fs.statSync(log).ino,
    logSize: fs.statSync(log).size,
  });
  expect(recordsOf(log).at(-1)).toBe('line 199');
  expect(fs.existsSync(`${log}.tmp`)).toBe(false);
});
