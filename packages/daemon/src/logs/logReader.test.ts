import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LogLine } from '@kepler/protocol';
import { record, settings, tempDir, text } from './__tests__/support.js';
import { LogStore } from './LogStore.js';
import { readAll, readHead, readTail } from './logReader.js';

let root: string;
let dir: string;
let store: LogStore;
const T0 = Date.UTC(2025, 0, 2, 3, 4, 5, 678);

beforeEach(() => {
  root = tempDir();
  dir = path.join(root, 'logs');
  fs.mkdirSync(dir);
  store = new LogStore({ dir, settings: () => settings() });
});
afterEach(() => {
  store.closeAll();
  fs.rmSync(root, { recursive: true, force: true });
});

function file(name: string, recs: [number, string][]): void {
  fs.writeFileSync(path.join(dir, name), recs.map(([dt, l]) => record(T0 + dt, l)).join(''));
}

const tagged = (lines: LogLine[]) =>
  lines.map(
    (l) => `${l.ts - T0} ${l.service}${l.hook ? `.${l.hook}` : ''}/${l.stream} ${Buffer.from(l.line)}`,
  );

describe('read', () => {
  beforeEach(() => {
    file('web.stdout.log', [
      [0, 'w0'],
      [10, 'w10'],
      [20, 'w20'],
    ]);
    file('web.stderr.log', [
      [5, 'we5'],
      [20, 'we20'],
    ]);
    file('db.stdout.log', [
      [1, 'd1'],
      [20, 'd20'],
      [30, 'd30'],
    ]);
    file('web.pre_start.stdout.log', [[-5, 'hook-5']]);
    file('global.on_init.stdout.log', [[-10, 'g-10']]);
    fs.writeFileSync(path.join(dir, 'stranger.txt'), 'not a log\n');
  });

  it('merges every file by time; ties keep file order (query order, own before hooks, stdout first)', () => {
    expect(tagged(store.read({ services: ['web', 'db'] }))).toEqual([
      '-5 web.pre_start/stdout hook-5',
      '0 web/stdout w0',
      '1 db/stdout d1',
      '5 web/stderr we5',
      '10 web/stdout w10',
      '20 web/stdout w20',
      '20 web/stderr we20',
      '20 db/stdout d20',
      '30 db/stdout d30',
    ]);
    // With no services named, every file in name order (db before web), global hooks included.
    expect(tagged(store.read({ services: [] })).slice(0, 3)).toEqual([
      '-10 global.on_init/stdout g-10',
      '-5 web.pre_start/stdout hook-5',
      '0 web/stdout w0',
    ]);
    expect(tagged(store.read({ services: [] })).filter((l) => l.startsWith('20 '))).toEqual([
      '20 db/stdout d20',
      '20 web/stdout w20',
      '20 web/stderr we20',
    ]);
  });

  it('head and tail apply to the merged lines', () => {
    expect(text(store.read({ services: ['web', 'db'], tail: 3 }))).toEqual(['we20', 'd20', 'd30']);
    expect(text(store.read({ services: ['web', 'db'], head: 3 }))).toEqual(['hook-5', 'w0', 'd1']);
    expect(text(store.read({ services: ['db'], tail: 100 }))).toEqual(['d1', 'd20', 'd30']);
    expect(store.read({ services: ['db'], tail: 0 })).toEqual([]);
    expect(store.read({ services: ['db'], head: 0 })).toEqual([]);
  });

  it('noHook hides service and global hook lines', () => {
    expect(text(store.read({ services: [], noHook: true }))).toEqual([
      'w0',
      'd1',
      'we5',
      'w10',
      'd20',
      'w20',
      'we20',
      'd30',
    ]);
  });

  it('returns nothing for unknown services or a missing directory', () => {
    expect(store.read({ services: ['nope'] })).toEqual([]);
    const empty = new LogStore({ dir: path.join(root, 'missing'), settings: () => settings() });
    expect(empty.read({ services: [], tail: 10 })).toEqual([]);
  });

  it('reads back lines written by sinks together with older files', () => {
    const sink = store.sink({ service: 'db', hook: null, stream: 'stdout' });
    sink.write(Buffer.from('live\n'));
    expect(text(store.read({ services: ['db'], tail: 2 }))).toEqual(['d30', 'live']);
  });
});

describe('readBatches (streamed, for sending)', () => {
  const limits = { maxLines: 1000, maxBytes: 4 * 1024 * 1024 };
  const flat = (batches: Iterable<LogLine[]>) => [...batches].flat();

  beforeEach(() => {
    // Interleaved times across three files, equal times included, and a foreign line without a prefix.
    const recs = (offset: number, n: number, name: string): [number, string][] =>
      Array.from({ length: n }, (_, i) => [Math.floor((i * 7 + offset) / 3), `${name}-${i}`]);
    file('web.stdout.log', recs(0, 2500, 'w'));
    file('web.stderr.log', recs(1, 1200, 'e'));
    file('db.stdout.log', recs(2, 1800, 'd'));
    fs.appendFileSync(path.join(dir, 'db.stdout.log'), 'foreign line\n');
  });

  it('gives exactly what read() gives, in the same order, for whole, head and tail reads', () => {
    for (const q of [
      { services: [] },
      { services: ['web', 'db'] },
      { services: ['db'], head: 1500 },
      { services: [], head: 3 },
      { services: [], tail: 2200 },
      { services: [], noHook: true },
    ]) {
      expect(tagged(flat(store.readBatches(q, limits)))).toEqual(tagged(store.read(q)));
    }
  });

  it('batches hold at most maxLines lines, and about maxBytes bytes', () => {
    const byLines = [...store.readBatches({ services: [] }, { maxLines: 1000, maxBytes: 1e9 })];
    expect(byLines.map((b) => b.length)).toEqual([1000, 1000, 1000, 1000, 1000, 501]);
    const byBytes = [...store.readBatches({ services: [] }, { maxLines: 1e9, maxBytes: 100 })];
    for (const b of byBytes.slice(0, -1)) {
      const bytes = b.reduce((n, l) => n + l.line.length, 0);
      expect(bytes).toBeGreaterThanOrEqual(100);
      expect(bytes - (b.at(-1)?.line.length ?? 0)).toBeLessThan(100);
    }
  });

  it('reads records longer than its block, and an unterminated last record', () => {
    const big = 'x'.repeat(3 * 1024 * 1024 + 17);
    fs.writeFileSync(
      path.join(dir, 'big.stdout.log'),
      `${record(T0, 'a')}${record(T0 + 1, big)}${record(T0 + 2, 'tail').slice(0, -1)}`,
    );
    expect(text(flat(store.readBatches({ services: ['big'] }, limits)))).toEqual(['a', big, 'tail']);
  });

  it('stops at the file size it saw: lines appended while it reads are left for the next read', () => {
    const batches = store.readBatches({ services: ['db'] }, { maxLines: 10, maxBytes: 1e9 });
    const first = batches.next().value as LogLine[];
    fs.appendFileSync(path.join(dir, 'db.stdout.log'), record(T0 + 999_999, 'late'));
    const rest = [...{ [Symbol.iterator]: () => batches }].flat();
    expect(text([...first, ...rest])).not.toContain('late');
    expect(text(store.read({ services: ['db'] }))).toContain('late');
  });
});

describe('reading one file', () => {
  const src = { service: 's', hook: null, stream: 'stdout' } as const;
  const fp = () => path.join(dir, 's.stdout.log');
  const read = (fn: (into: LogLine[]) => void) => {
    const into: LogLine[] = [];
    fn(into);
    return into;
  };

  it('tail reads backwards across many blocks and matches a full read', () => {
    // ~3 MB: many 64 KiB blocks, lines of varying length.
    const parts: string[] = [];
    for (let i = 0; i < 50_000; i++) parts.push(record(T0 + i, `n${i} ${'z'.repeat(i % 80)}`));
    fs.writeFileSync(fp(), parts.join(''));
    const all = read((into) => readAll(fp(), src, into));
    expect(all).toHaveLength(50_000);
    const joined = (lines: LogLine[]) => lines.map((l) => `${l.ts} ${Buffer.from(l.line)}`).join('\n');
    for (const n of [1, 10, 999, 30_000, 100_000]) {
      const tail = read((into) => readTail(fp(), n, src, into));
      expect(joined(tail)).toBe(joined(all.slice(Math.max(0, all.length - n))));
      const head = read((into) => readHead(fp(), n, src, into));
      expect(joined(head)).toBe(joined(all.slice(0, n)));
    }
  });

  it('tail and head of a large file read only the needed end', () => {
    const line = record(T0, 'x'.repeat(200));
    fs.writeFileSync(fp(), line.repeat(250_000)); // ~56 MB
    const tail: LogLine[] = [];
    expect(readTail(fp(), 10, src, tail)).toBeLessThanOrEqual(64 * 1024);
    expect(tail).toHaveLength(10);
    const head: LogLine[] = [];
    expect(readHead(fp(), 10, src, head)).toBeLessThanOrEqual(64 * 1024);
    expect(head).toHaveLength(10);
  });

  it('keeps an unterminated last record and foreign lines', () => {
    fs.writeFileSync(
      fp(),
      `garbage first\n${record(T0, 'a')}not a record\n${record(T0 + 1, 'b').slice(0, -1)}`,
    );
    const all = read((into) => readAll(fp(), src, into));
    expect(text(all)).toEqual(['garbage first', 'a', 'not a record', 'b']);
    expect(all.map((l) => l.ts - T0)).toEqual([-T0, 0, 0, 1]);
    expect(text(read((into) => readTail(fp(), 2, src, into)))).toEqual(['not a record', 'b']);
    expect(text(read((into) => readHead(fp(), 2, src, into)))).toEqual(['garbage first', 'a']);
  });

  it('reads an empty or missing file as no lines', () => {
    fs.writeFileSync(fp(), '');
    expect(read((into) => readTail(fp(), 5, src, into))).toEqual([]);
    expect(read((into) => readHead(fp(), 5, src, into))).toEqual([]);
    expect(read((into) => readAll(path.join(dir, 'none.stdout.log'), src, into))).toEqual([]);
    expect(read((into) => readTail(path.join(dir, 'none.stdout.log'), 5, src, into))).toEqual([]);
  });
});
