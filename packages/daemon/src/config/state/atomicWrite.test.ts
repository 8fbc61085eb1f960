import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic, writeFileAtomicAsync } from './atomicWrite.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kepler-atomic-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('writes replace the file whole and leave no temporary files', async () => {
  const path = join(dir, 'state.json');
  writeFileAtomic(path, 'one');
  expect(await writeFileAtomicAsync(path, 'two')).toBe(true);
  expect(readFileSync(path, 'utf8')).toBe('two');
  expect(readdirSync(dir)).toEqual(['state.json']);
});

test('an async write superseded while in flight does not replace the newer content', async () => {
  const path = join(dir, 'state.json');
  let wanted = true;
  const pending = writeFileAtomicAsync(path, 'older', () => wanted);
  // A synchronous write lands meanwhile (daemon shutdown) and supersedes the async one.
  writeFileAtomic(path, 'newer');
  wanted = false;
  expect(await pending).toBe(false);
  expect(readFileSync(path, 'utf8')).toBe('newer');
  expect(readdirSync(dir)).toEqual(['state.json']);
});

test('a failed write leaves the old content and no temporary file', async () => {
  const path = join(dir, 'f.json');
  writeFileAtomic(path, 'old');
  // Every write fails (as on a full disk) once the file it goes to cannot be written.
  const full = '/dev/full';
  const link = `${path}.tmp-${process.pid}`;
  symlinkSync(full, link);
  expect(() => writeFileAtomic(path, 'new')).toThrow(/ENOSPC/);
  expect(readFileSync(path, 'utf8')).toBe('old');
  expect(readdirSync(dir)).toEqual(['f.json']);
  symlinkSync(full, `${link}-async`);
  await expect(writeFileAtomicAsync(path, 'new')).rejects.toThrow(/ENOSPC/);
  expect(readFileSync(path, 'utf8')).toBe('old');
  expect(readdirSync(dir)).toEqual(['f.json']);
});
