import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readUserFile, UserFileError } from './readUserFile.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kepler-readuserfile-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const failure = (path: string, max = 1024): { code: string; reason: string } => {
  try {
    readUserFile(path, max);
  } catch (e) {
    if (e instanceof UserFileError) return { code: e.code, reason: e.reason };
    throw e;
  }
  throw new Error('read succeeded');
};

describe('readUserFile', () => {
  test('reads a regular file', () => {
    writeFileSync(join(dir, 'ok.env'), 'A=1\n');
    expect(readUserFile(join(dir, 'ok.env'), 1024).toString()).toBe('A=1\n');
  });

  test('a FIFO without a writer is refused at once instead of blocking', () => {
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    expect(failure(fifo)).toEqual({
      code: 'ENOTREG',
      reason: 'not a regular file (a FIFO, socket or device?)',
    });
  });

  test('devices (/dev/zero would never end) and directories are refused', () => {
    expect(failure('/dev/zero').code).toBe('ENOTREG');
    mkdirSync(join(dir, 'sub'));
    expect(failure(join(dir, 'sub'))).toEqual({ code: 'EISDIR', reason: 'it is a directory' });
  });

  test('a missing file and a file over the cap have their own reasons', () => {
    expect(failure(join(dir, 'missing'))).toEqual({ code: 'ENOENT', reason: 'no such file' });
    writeFileSync(join(dir, 'big'), Buffer.alloc(3 * 1024 * 1024, 'a'));
    expect(failure(join(dir, 'big'), 2 * 1024 * 1024)).toEqual({
      code: 'EFBIG',
      reason: 'larger than 2 MiB (3 MiB)',
    });
  });
});
