import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LogLine } from '@kepler/protocol';
import { record, tempDir } from './__tests__/support.js';
import { RecordCursor, readAll, readHead, readTail } from './logReader.js';
import { readMerged, readMergedBatches } from './mergedRead.js';
import { byteRangeOf } from './timeWindow.js';

const T0 = Date.UTC(2025, 0, 2, 3, 4, 5, 678);
const SOURCE = { service: 'web', hook: null, stream: 'stdout' } as const;
let root: string;

beforeEach(() => {
  root = tempDir();
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

/** Writes `web.stdout.log` with records at T0 + dt (a null time writes the line without a timestamp). */
function write(recs: [number | null, string][], name = 'web.stdout.log'): string {
  const file = path.join(root, name);
  fs.writeFileSync(file, recs.map(([dt, l]) => (dt === null ? `${l}\n` : record(T0 + dt, l))).join(''));
  return file;
}

const text = (lines: LogLine[]) => lines.map((l) => Buffer.from(l.line).toString());

/** 1000 records, one per 10 ms, with lines of varied length (so offsets do not fall on a grid). */
function big(): string {
  return write(Array.from({ length: 1000 }, (_, i) => [i * 10, `l${i}-${'x'.repeat(i % 37)}`]));
}

describe('byteRangeOf', () => {
  it('finds the records within the window, ends inclusive, by binary search', () => {
    const file = big();
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const contents = fs.readFileSync(file, 'latin1');
      const slice = (w: { since?: number; until?: number }) => {
        const { start, end } = byteRangeOf(fd, size, w);
        return contents.slice(start, end).split('\n').filter(Boolean);
      };
      const r = slice({ since: T0 + 500, until: T0 + 520 });
      expect(r.map((l) => l.slice(25).split('-')[0])).toEqual(['l50', 'l51', 'l52']);
      expect(slice({ since: T0 + 505, until: T0 + 519 }).map((l) => l.slice(25, 28))).toEqual(['l51']);
      expect(slice({ since: T0 - 1 })).toHaveLength(1000);
      expect(slice({ since: T0 + 9990 })).toHaveLength(1);
      expect(slice({ since: T0 + 9991 })).toEqual([]);
      expect(slice({ until: T0 - 1 })).toEqual([]);
      expect(slice({ until: T0 })).toHaveLength(1);
      expect(slice({ since: T0 + 600, until: T0 + 500 })).toEqual([]);
      expect(byteRangeOf(fd, 0, { since: T0 })).toEqual({ start: 0, end: 0 });
    } finally {
      fs.closeSync(fd);
    }
  });

  it('keeps a line without a timestamp with the stamped record before it', () => {
    const file = write([
      [null, 'stray-first'],
      [0, 'a'],
      [null, 'a-cont'],
      [10, 'b'],
      [null, 'b-cont'],
      [20, 'c'],
    ]);
    expect(text(readAllOf(file, { since: T0 + 5 }))).toEqual(['b', 'b-cont', 'c']);
    expect(text(readAllOf(file, { until: T0 + 10 }))).toEqual(['stray-first', 'a', 'a-cont', 'b', 'b-cont']);
    expect(text(readAllOf(file, { since: T0 + 10, until: T0 + 10 }))).toEqual(['b', 'b-cont']);
  });
});

function readAllOf(file: string, w: { since?: number; until?: number }): LogLine[] {
  const into: LogLine[] = [];
  readAll(file, SOURCE, into, w);
  return into;
}

describe('reads within a window', () => {
  it('head, tail, all and the cursor count lines within the window', () => {
    const file = big();
    const w = { since: T0 + 1000, until: T0 + 1990 }; // l100..l199
    const names = (lines: LogLine[]) => text(lines).map((l) => l.split('-')[0]);
    const head: LogLine[] = [];
    readHead(file, 3, SOURCE, head, w);
    expect(names(head)).toEqual(['l100', 'l101', 'l102']);
    const tail: LogLine[] = [];
    readTail(file, 3, SOURCE, tail, w);
    expect(names(tail)).toEqual(['l197', 'l198', 'l199']);
    const moreThanThere: LogLine[] = [];
    readTail(file, 500, SOURCE, moreThanThere, w);
    expect(moreThanThere).toHaveLength(100);
    expect(readAllOf(file, w)).toHaveLength(100);
    const cursor = new RecordCursor(file, SOURCE, w);
    const seen: LogLine[] = [];
    for (let l = cursor.next(); l !== null; l = cursor.next()) seen.push(l);
    cursor.close();
    expect(names(seen)).toEqual(names(readAllOf(file, w)));
    expect(seen[0]?.ts).toBe(T0 + 1000);
  });

  it('readMerged and readMergedBatches merge files within the window', () => {
    write(
      [
        [0, 'w0'],
        [10, 'w10'],
        [20, 'w20'],
        [30, 'w30'],
      ],
      'web.stdout.log',
    );
    write(
      [
        [5, 'd5'],
        [15, 'd15'],
        [25, 'd25'],
      ],
      'db.stdout.log',
    );
    const q = { services: [], since: T0 + 10, until: T0 + 25 };
    expect(text(readMerged(root, q))).toEqual(['w10', 'd15', 'w20', 'd25']);
    expect(text(readMerged(root, { ...q, tail: 2 }))).toEqual(['w20', 'd25']);
    expect(text(readMerged(root, { ...q, head: 2 }))).toEqual(['w10', 'd15']);
    const batches = [...readMergedBatches(root, q, { maxLines: 3, maxBytes: 1 << 20 })];
    expect(batches.map(text)).toEqual([['w10', 'd15', 'w20'], ['d25']]);
  });
});
