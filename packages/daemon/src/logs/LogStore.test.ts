import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BakedLogSettings } from '@kepler/config';
import type { LogLine } from '@kepler/protocol';
import { recordsOf, settings, tempDir, text, waitFor } from './__tests__/support.js';
import { LogError } from './LogError.js';
import { LogStore, type LogStoreOptions } from './LogStore.js';

let dirs: string[] = [];
let stores: LogStore[] = [];

function makeStore(
  over: Partial<BakedLogSettings> | ((service: string) => BakedLogSettings) = {},
  opts: Partial<LogStoreOptions> = {},
): { store: LogStore; dir: string } {
  const dir = path.join(tempDir(), 'logs');
  dirs.push(path.dirname(dir));
  const fn = typeof over === 'function' ? over : () => settings(over);
  const store = new LogStore({ dir, settings: fn, ...opts });
  stores.push(store);
  return { store, dir };
}

afterEach(() => {
  for (const s of stores) s.closeAll();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  stores = [];
  dirs = [];
});

const b = (s: string) => Buffer.from(s, 'latin1');

describe('capture', () => {
  it('splits lines across chunk boundaries, keeping empty lines', () => {
    const { store, dir } = makeStore();
    const sink = store.sink({ service: 'web', hook: null, stream: 'stdout' });
    sink.write(b('hel'));
    sink.write(b('lo\nwor'));
    sink.write(b('ld\n\nx'));
    expect(recordsOf(path.join(dir, 'web.stdout.log'))).toEqual(['hello', 'world', '']);
    sink.write(b('y\n'));
    expect(recordsOf(path.join(dir, 'web.stdout.log'))).toEqual(['hello', 'world', '', 'xy']);
    expect(text(store.read({ services: ['web'] }))).toEqual(['hello', 'world', '', 'xy']);
  });

  it('keeps a last line without a trailing newline when the stream ends', () => {
    const { store, dir } = makeStore();
    const sink = store.sink({ service: 'web', hook: null, stream: 'stderr' });
    sink.write(b('first\nlast words'));
    expect(recordsOf(path.join(dir, 'web.stderr.log'))).toEqual(['first']);
    sink.end();
    expect(recordsOf(path.join(dir, 'web.stderr.log'))).toEqual(['first', 'last words']);
    const lines = store.read({ services: [] });
    expect(text(lines)).toEqual(['first', 'last words']);
    expect(lines[1]).toMatchObject({ service: 'web', hook: null, stream: 'stderr' });
  });

  it('keeps a 1 MiB line whole, fed in pipe-sized chunks', () => {
    const { store } = makeStore();
    const sink = store.sink({ service: 'big', hook: null, stream: 'stdout' });
    const big = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = 0x61 + (i % 26);
    const all = Buffer.concat([b('before\n'), big, b('\nafter\n')]);
    for (let off = 0; off < all.length; off += 65536) sink.write(all.subarray(off, off + 65536));
    const lines = store.read({ services: ['big'] });
    expect(lines.map((l) => l.line.length)).toEqual([6, big.length, 5]);
    expect(Buffer.from(lines[1]!.line).equals(big)).toBe(true);
  });

  it('splits a line longer than the cap into records of the cap', () => {
    const { store } = makeStore({}, { maxLineBytes: 10 });
    const sink = store.sink({ service: 's', hook: null, stream: 'stdout' });
    sink.write(b('0123456789abcdefghij'));
    sink.write(b('ABCDE\n0123456789\nshort\n'));
    // A line in one chunk that is over the cap takes the same path.
    sink.write(b('0123456789012\n'));
    expect(text(store.read({ services: ['s'] }))).toEqual([
      '0123456789',
      'abcdefghij',
      'ABCDE',
      '0123456789',
      'short',
      '0123456789',
      '012',
    ]);
  });

  it('preserves invalid UTF-8, \\r and NUL byte for byte', () => {
    const { store } = makeStore();
    const sink = store.sink({ service: 'bin', hook: null, stream: 'stdout' });
    const weird = Buffer.from([0xff, 0xfe, 0x0d, 0x41, 0xc3, 0x28, 0x00, 0xe2, 0x82, 0x0d]);
    sink.write(Buffer.concat([weird, b('\ncrlf\r\n\r\n')]));
    const lines = store.read({ services: ['bin'] });
    expect(lines.map((l) => Buffer.from(l.line).toString('hex'))).toEqual([
      weird.toString('hex'),
      b('crlf\r').toString('hex'),
      '0d',
    ]);
  });

  it('stamps lines with the time they were read, never going back', () => {
    const { store } = makeStore();
    const sink = store.sink({ service: 't', hook: null, stream: 'stdout' });
    const before = Date.now();
    sink.write(b('a\nb\n'));
    const after = Date.now();
    const lines = store.read({ services: ['t'] });
    expect(lines[0]!.ts).toBeGreaterThanOrEqual(before);
    expect(lines[0]!.ts).toBeLessThanOrEqual(after);
    expect(lines[1]!.ts).toBe(lines[0]!.ts);
  });

  it('does not store a stream whose store is false, but still publishes it', () => {
    const { store, dir } = makeStore({ store: { stdout: false, stderr: true } });
    const got: LogLine[] = [];
    store.follow({ services: [] }, (lines) => got.push(...lines));
    const out = store.sink({ service: 'web', hook: null, stream: 'stdout' });
    const err = store.sink({ service: 'web', hook: null, stream: 'stderr' });
    out.write(b('to stdout\n'));
    err.write(b('to stderr\n'));
    out.end();
    err.end();
    expect(fs.existsSync(path.join(dir, 'web.stdout.log'))).toBe(false);
    expect(recordsOf(path.join(dir, 'web.stderr.log'))).toEqual(['to stderr']);
    expect(got.map((l) => `${l.stream}:${Buffer.from(l.line).toString()}`)).toEqual([
      'stdout:to stdout',
      'stderr:to stderr',
    ]);
  });

  it('with buffer_size 0, each line is on disk when write() returns', () => {
    const { store, dir } = makeStore({ bufferSize: 0 });
    const sink = store.sink({ service: 'web', hook: null, stream: 'stdout' });
    const file = path.join(dir, 'web.stdout.log');
    for (let i = 0; i < 5; i++) {
      sink.write(b(`line ${i}\n`));
      expect(recordsOf(file)).toHaveLength(i + 1);
    }
  });

  it('with buffer_size > 0, writes only at the threshold or on flush', () => {
    const { store, dir } = makeStore({ bufferSize: 200 }, { flushIntervalMs: 0 });
    const sink = store.sink({ service: 'web', hook: null, stream: 'stdout' });
    const file = path.join(dir, 'web.stdout.log');
    const size = () => (fs.existsSync(file) ? fs.statSync(file).size : 0);
    sink.write(b('0123456789\n')); // 36 bytes with its timestamp
    sink.write(b('0123456789\n'));
    expect(size()).toBe(0);
    sink.flush();
    expect(recordsOf(file)).toHaveLength(2);
    for (let i = 0; i < 5; i++) sink.write(b('0123456789\n')); // 180 bytes: under the threshold
    expect(recordsOf(file)).toHaveLength(2);
    sink.write(b('0123456789\n')); // 216 >= 200: written
    expect(recordsOf(file)).toHaveLength(8);
    sink.write(b('tail\n'));
    expect(recordsOf(file)).toHaveLength(8);
    store.flushAll();
    expect(recordsOf(file)).toHaveLength(9);
  });

  it('with buffer_size > 0, writes buffered lines after the flush interval', async () => {
    const { store, dir } = makeStore({ bufferSize: 1 << 20 }, { flushIntervalMs: 20 });
    const sink = store.sink({ service: 'web', hook: null, stream: 'stdout' });
    const file = path.join(dir, 'web.stdout.log');
    sink.write(b('quiet service\n'));
    expect(fs.existsSync(file)).toBe(false);
    await waitFor(() => fs.existsSync(file) && fs.statSync(file).size > 0);
    expect(recordsOf(file)).toEqual(['quiet service']);
  });

  it('read() includes buffered lines', () => {
    const { store } = makeStore({ bufferSize: 1 << 20 }, { flushIntervalMs: 0 });
    store.sink({ service: 'web', hook: null, stream: 'stdout' }).write(b('buffered\n'));
    expect(text(store.read({ services: ['web'] }))).toEqual(['buffered']);
  });

  it('never interleaves two sinks inside a line of one file', () => {
    const { store, dir } = makeStore();
    const old = store.sink({ service: 'web', hook: null, stream: 'stdout' });
    const next = store.sink({ service: 'web', hook: null, stream: 'stdout' });
    old.write(b('old par'));
    next.write(b('new line\n'));
    old.write(b('tial\n'));
    old.end();
    next.write(b('after\n'));
    expect(recordsOf(path.join(dir, 'web.stdout.log'))).toEqual(['new line', 'old partial', 'after']);
  });

  it('ends a record left unterminated by a crash before appending', () => {
    const { store, dir } = makeStore();
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'web.stdout.log');
    fs.writeFileSync(file, '2025-01-01T00:00:00.000Z whole\n2025-01-01T00:00:00.001Z cut sho');
    store.sink({ service: 'web', hook: null, stream: 'stdout' }).write(b('next\n'));
    expect(recordsOf(file)).toEqual(['whole', 'cut sho', 'next']);
  });

  it('ignores writes after end()', () => {
    const { store } = makeStore();
    const sink = store.sink({ service: 'web', hook: null, stream: 'stdout' });
    sink.write(b('a\n'));
    sink.end();
    sink.end();
    sink.write(b('late\n'));
    expect(text(store.read({ services: [] }))).toEqual(['a']);
  });

  it('rejects a source name that would leave the logs directory', () => {
    const { store } = makeStore();
    expect(() => store.sink({ service: '../etc', hook: null, stream: 'stdout' })).toThrow(LogError);
    expect(() => store.sink({ service: 'web', hook: 'a/b', stream: 'stdout' })).toThrow(
      expect.objectContaining({ code: 'LOG_BAD_SOURCE' }),
    );
  });

  it('reports a write failure once, keeps capturing, and says what was not stored once it can write', () => {
    const errors: LogError[] = [];
    const resumed: string[] = [];
    const { store, dir } = makeStore(
      {},
      { onError: (e) => errors.push(e), onResumed: (m) => resumed.push(m), retryMs: 0 },
    );
    fs.mkdirSync(dir, { recursive: true });
    // A directory where the file should be: every open fails.
    fs.mkdirSync(path.join(dir, 'web.stdout.log'));
    const got: LogLine[] = [];
    store.follow({ services: [] }, (lines) => got.push(...lines));
    const sink = store.sink({ service: 'web', hook: null, stream: 'stdout' });
    sink.write(b('a\n'));
    sink.write(b('b\n'));
    expect(errors.map((e) => e.code)).toEqual(['LOG_WRITE_FAILED']);
    expect(text(got)).toEqual(['a', 'b']);
    expect(store.notStored('web')).toBe(2);
    fs.rmdirSync(path.join(dir, 'web.stdout.log'));
    sink.write(b('c\n'));
    expect(recordsOf(path.join(dir, 'web.stdout.log'))).toEqual([
      '[kepler] 2 lines not stored: illegal operation on a directory',
      'c',
    ]);
    expect(resumed).toEqual([
      `log file ${path.join(dir, 'web.stdout.log')} is written again: 2 lines were not stored (illegal operation on a directory)`,
    ]);
    expect(store.notStored('web')).toBe(2); // since the store started, for ps
    expect(store.notStored('db')).toBe(0);
  });

  it('creates files readable by nobody but owner and group, and tightens wider ones', () => {
    const { store, dir } = makeStore();
    fs.mkdirSync(dir, { recursive: true });
    const wide = path.join(dir, 'old.stdout.log');
    fs.writeFileSync(wide, '');
    fs.chmodSync(wide, 0o666);
    store.sink({ service: 'web', hook: null, stream: 'stdout' }).write(b('x\n'));
    store.sink({ service: 'old', hook: null, stream: 'stdout' }).write(b('x\n'));
    store.sink({ service: 'web', hook: 'pre_start', stream: 'stderr' }).write(b('x\n'));
    for (const name of ['web.stdout.log', 'old.stdout.log', 'web.pre_start.stderr.log']) {
      const mode = fs.statSync(path.join(dir, name)).mode & 0o777;
      expect(mode & 0o137).toBe(0); // no write for group, nothing for others, no exec
      expect(mode & 0o600).toBe(0o600);
    }
  });

  it('creates the logs directory again if it was removed', () => {
    const { store, dir } = makeStore();
    const sink = store.sink({ service: 'web', hook: null, stream: 'stdout' });
    sink.write(b('a\n'));
    sink.end();
    fs.rmSync(dir, { recursive: true });
    const again = store.sink({ service: 'web', hook: null, stream: 'stdout' });
    again.write(b('b\n'));
    expect(recordsOf(path.join(dir, 'web.stdout.log'))).toEqual(['b']);
  });
});

describe('max_size', () => {
  it('truncates keeping the newest whole lines, stays under the limit, and does so rarely', () => {
    const max = 2000;
    const { store, dir } = makeStore({ maxSizeBytes: max });
    const sink = store.sink({ service: 'web', hook: null, stream: 'stdout' });
    const file = path.join(dir, 'web.stdout.log');
    let drops = 0;
    let last = 0;
    const written: string[] = [];
    for (let i = 0; i < 500; i++) {
      const line = `line ${i} ${'x'.repeat(i % 37)}`;
      written.push(line);
      sink.write(b(`${line}\n`));
      const size = fs.statSync(file).size;
      expect(size).toBeLessThanOrEqual(max);
      if (size < last) drops++;
      last = size;
      const recs = recordsOf(file);
      // The file is always the newest lines, in order, ending with the one just written.
      expect(recs).toEqual(written.slice(written.length - recs.length));
    }
    const total = written.reduce((n, l) => n + l.length + 26, 0);
    // Hysteresis: about one rewrite per max/2 bytes written, not one per line.
    expect(drops).toBeGreaterThan(0);
    expect(drops).toBeLessThanOrEqual(Math.ceil(total / (max / 2)) + 1);
  });

  it('truncates buffered and multi-line chunks the same way', () => {
    const max = 1000;
    const { store, dir } = makeStore({ maxSizeBytes: max, bufferSize: 300 }, { flushIntervalMs: 0 });
    const sink = store.sink({ service: 'web', hook: null, stream: 'stdout' });
    const file = path.join(dir, 'web.stdout.log');
    const written: string[] = [];
    for (let i = 0; i < 100; i++) {
      const lines = [`a${i}`, `b${i}`, `c${i}`];
      written.push(...lines);
      sink.write(b(`${lines.join('\n')}\n`));
      if (fs.existsSync(file)) expect(fs.statSync(file).size).toBeLessThanOrEqual(max);
    }
    sink.flush();
    const recs = recordsOf(file);
    expect(fs.statSync(file).size).toBeLessThanOrEqual(max);
    expect(recs.length).toBeGreaterThan(5);
    expect(recs).toEqual(written.slice(written.length - recs.length));
  });

  it('keeps the newest part of a single line longer than max_size as a record', () => {
    const { store, dir } = makeStore({ maxSizeBytes: 100 });
    const sink = store.sink({ service: 'web', hook: null, stream: 'stdout' });
    const file = path.join(dir, 'web.stdout.log');
    sink.write(b('short\n'));
    sink.write(b(`${'y'.repeat(300)}END\n`));
    expect(fs.statSync(file).size).toBeLessThanOrEqual(100);
    const recs = recordsOf(file);
    expect(recs).toHaveLength(1);
    expect(recs[0]).toMatch(/^y+END$/);
    sink.write(b('then\n'));
    expect(recordsOf(file).at(-1)).toBe('then');
  });

  it('counts an existing file toward the limit', () => {
    const { store, dir } = makeStore({ maxSizeBytes: 500 });
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'web.stdout.log');
    let old = '';
    for (let i = 0; i < 18; i++) old += `2025-01-01T00:00:00.000Z old ${String(i).padStart(2, '0')}\n`; // 18 * 32 > 500
    fs.writeFileSync(file, old.slice(0, 480));
    store.sink({ service: 'web', hook: null, stream: 'stdout' }).write(b('new\n'));
    expect(fs.statSync(file).size).toBeLessThanOrEqual(500);
    const recs = recordsOf(file);
    expect(recs.at(-1)).toBe('new');
    expect(recs[0]).toMatch(/^old \d\d$/);
  });
});

describe('retention', () => {
  function populate(store: LogStore): void {
    for (const [service, hook] of [
      ['web', null],
      ['web', 'pre_start'],
      ['db', null],
      ['global', 'on_init'],
    ] as const) {
      for (const stream of ['stdout', 'stderr'] as const) {
        const sink = store.sink({ service, hook, stream });
        sink.write(b(`${service}.${hook}.${stream}\n`));
        sink.end();
      }
    }
  }
  const names = (dir: string) => fs.readdirSync(dir).sort();

  it('clear(service) removes only its own files; includeHooks removes its hook files too', () => {
    const { store, dir } = makeStore();
    populate(store);
    store.clear('web');
    expect(names(dir)).toEqual([
      'db.stderr.log',
      'db.stdout.log',
      'global.on_init.stderr.log',
      'global.on_init.stdout.log',
      'web.pre_start.stderr.log',
      'web.pre_start.stdout.log',
    ]);
    store.clear('web', { includeHooks: true });
    store.clear('global', { includeHooks: true });
    expect(names(dir)).toEqual(['db.stderr.log', 'db.stdout.log']);
  });

  it('remembers which retention setting cleared stored lines, for services that have none since', () => {
    const { store, dir } = makeStore();
    const sink = store.sink({ service: 'web', hook: null, stream: 'stdout' });
    sink.write(b('said something\n'));
    store.clear('web', { by: 'on_stop' });
    // Never wrote a line: nothing to explain, and no mark either.
    store.clear('db', { by: 'on_stop' });
    expect(store.clearedWithoutLines(['web', 'db'])).toEqual([{ service: 'web', by: 'on_stop' }]);
    // The mark is not a log: reading still works and lists nothing for it.
    expect(names(dir)).toContain('web.cleared');
    expect(store.read({ services: [] })).toEqual([]);
    // Kept across a new store on the same directory (a daemon restart).
    const again = new LogStore({ dir, settings: () => settings({}) });
    stores.push(again);
    expect(again.clearedWithoutLines(['web'])).toEqual([{ service: 'web', by: 'on_stop' }]);
    // New output: nothing to explain any more.
    sink.write(b('talking again\n'));
    expect(store.clearedWithoutLines(['web'])).toEqual([]);
  });

  it('clearAll() empties everything', () => {
    const { store, dir } = makeStore();
    populate(store);
    store.clearAll();
    expect(names(dir)).toEqual([]);
    expect(store.read({ services: [] })).toEqual([]);
  });

  it('clearing a file with a live sink truncates it and drops buffered lines', () => {
    const { store, dir } = makeStore({ bufferSize: 4096 }, { flushIntervalMs: 0 });
    const sink = store.sink({ service: 'web', hook: null, stream: 'stdout' });
    sink.write(b('old 1\n'));
    sink.flush();
    sink.write(b('old 2\n'));
    store.clear('web');
    sink.write(b('new\n'));
    sink.flush();
    expect(recordsOf(path.join(dir, 'web.stdout.log'))).toEqual(['new']);
  });
});

describe('follow', () => {
  it('delivers captured lines filtered by service and noHook; unsubscribe stops it', () => {
    const { store } = makeStore();
    const all: LogLine[] = [];
    const webOnly: LogLine[] = [];
    const webNoHook: LogLine[] = [];
    store.follow({ services: [] }, (l) => all.push(...l));
    const off = store.follow({ services: ['web'] }, (l) => webOnly.push(...l));
    store.follow({ services: ['web'], noHook: true }, (l) => webNoHook.push(...l));
    const web = store.sink({ service: 'web', hook: null, stream: 'stdout' });
    const hook = store.sink({ service: 'web', hook: 'post_start', stream: 'stderr' });
    const db = store.sink({ service: 'db', hook: null, stream: 'stdout' });
    web.write(b('w1\nw'));
    hook.write(b('h1\n'));
    db.write(b('d1\n'));
    web.write(b('2\n'));
    expect(text(all)).toEqual(['w1', 'h1', 'd1', 'w2']);
    expect(text(webOnly)).toEqual(['w1', 'h1', 'w2']);
    expect(text(webNoHook)).toEqual(['w1', 'w2']);
    expect(webOnly[1]).toMatchObject({ service: 'web', hook: 'post_start', stream: 'stderr' });
    off();
    web.write(b('w3\n'));
    web.write(b('partial at exit'));
    web.end();
    expect(text(webOnly)).toEqual(['w1', 'h1', 'w2']);
    expect(text(webNoHook)).toEqual(['w1', 'w2', 'w3', 'partial at exit']);
  });

  it('hands followers copies, so a reused read buffer cannot change delivered lines', () => {
    const { store } = makeStore();
    const got: LogLine[] = [];
    store.follow({ services: [] }, (l) => got.push(...l));
    const sink = store.sink({ service: 'web', hook: null, stream: 'stdout' });
    const chunk = b('abc\nde');
    sink.write(chunk);
    chunk.fill(0x7a);
    sink.write(b('f\n'));
    expect(text(got)).toEqual(['abc', 'def']);
  });

  it('closeAll ends every follower after handing it the last partial line', () => {
    const { store } = makeStore();
    const got: string[] = [];
    let ends = 0;
    store.follow(
      { services: [] },
      (l) => got.push(...text(l)),
      () => {
        got.push('<end>');
        ends++;
      },
    );
    const off = store.follow({ services: ['web'] }, () => {});
    store.sink({ service: 'web', hook: null, stream: 'stdout' }).write(b('a\npartial'));
    off();
    store.closeAll();
    store.closeAll();
    expect(got).toEqual(['a', 'partial', '<end>']);
    expect(ends).toBe(1);
  });

  it('unsubscribes and reports a follower that throws, without disturbing capture', () => {
    const errors: LogError[] = [];
    const { store } = makeStore({}, { onError: (e) => errors.push(e) });
    let calls = 0;
    store.follow({ services: [] }, () => {
      calls++;
      throw new Error('socket gone');
    });
    const sink = store.sink({ service: 'web', hook: null, stream: 'stdout' });
    sink.write(b('a\n'));
    sink.write(b('b\n'));
    expect(calls).toBe(1);
    expect(errors.map((e) => e.code)).toEqual(['LOG_FOLLOWER_FAILED']);
    expect(text(store.read({ services: [] }))).toEqual(['a', 'b']);
  });
});

// Not a pass/fail check: prints capture throughput (see bench/log-capture-bench.mjs for the benchmark).
it('measures capture throughput (printed, not asserted)', () => {
  const lines = 200_000;
  const data = Buffer.alloc(lines * 100, 'x');
  for (let i = 99; i < data.length; i += 100) data[i] = 0x0a;
  const rates: string[] = [];
  for (const bufferSize of [0, 16384]) {
    const { store, dir } = makeStore({ bufferSize });
    const sink = store.sink({ service: 'bench', hook: null, stream: 'stdout' });
    const t0 = performance.now();
    for (let off = 0; off < data.length; off += 65536) sink.write(data.subarray(off, off + 65536));
    sink.end();
    const s = (performance.now() - t0) / 1000;
    expect(fs.statSync(path.join(dir, 'bench.stdout.log')).size).toBe(lines * 125);
    rates.push(`buffer_size ${bufferSize}: ${(lines / s / 1e6).toFixed(2)} M lines/s`);
  }
  console.log(`log capture, ${lines} lines of 100 bytes: ${rates.join(', ')}`);
});
