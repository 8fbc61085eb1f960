import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { changedSources, parseSources, recordSources } from './bakeSources.js';

const dir = mkdtempSync(join(tmpdir(), 'kepler-sources-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a file counts as changed when its content differs, not when only its mtime does', () => {
  const a = join(dir, 'a.env');
  const b = join(dir, 'b.lua');
  writeFileSync(a, 'A=1\n');
  writeFileSync(b, 'return 1\n');
  const recorded = recordSources([a, b, a]);
  expect(recorded.map((s) => s.path)).toEqual([a, b]);
  expect(changedSources(recorded)).toEqual([]);
  utimesSync(a, new Date(), new Date(Date.now() + 5000)); // touched, same bytes
  expect(changedSources(recorded)).toEqual([]);
  writeFileSync(b, 'return 2\n');
  expect(changedSources(recorded).map((s) => s.path)).toEqual([b]);
  rmSync(a);
  expect(changedSources(recorded).map((s) => s.path)).toEqual([a, b]);
});

test('a file missing at bake time counts as changed once it appears', () => {
  const c = join(dir, 'later.env');
  const recorded = recordSources([c]);
  expect(recorded[0]).toMatchObject({ sha256: null });
  expect(changedSources(recorded)).toEqual([]);
  writeFileSync(c, 'X=1\n');
  expect(changedSources(recorded)).toHaveLength(1);
});

test('parseSources refuses what is not a sources record', () => {
  expect(parseSources([{ path: '/a', sha256: null, size: 1, mtimeMs: 2 }])).toHaveLength(1);
  expect(parseSources({})).toBeNull();
  expect(parseSources([{ path: 1 }])).toBeNull();
});
