import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  symlinkSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openOutputFile, openOutputForChild } from './outputFile.js';

const root = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'kepler-output-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function until(probe: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('appends land at the end whatever the offset; the reader reads any offset and hears of growth', async () => {
  const path = join(root, 'a', 'svc.stdout'); // its directory is made too
  const w1 = openOutputForChild(path);
  const w2 = openOutputForChild(path);
  const file = openOutputFile(path);
  let changes = 0;
  file.watch(() => changes++);
  writeSync(w1, 'one\n');
  writeSync(w2, 'two\n');
  writeSync(w1, 'three\n', 0); // O_APPEND: the position is ignored
  const buf = Buffer.alloc(64);
  expect(buf.subarray(0, file.read(buf, 0)).toString()).toBe('one\ntwo\nthree\n');
  expect(buf.subarray(0, file.read(buf, 4)).toString()).toBe('two\nthree\n');
  expect(file.size()).toBe(14);
  await until(() => changes > 0, 'a change notification');
  file.close();
  closeSync(w1);
  closeSync(w2);
  expect(statSync(join(root, 'a')).mode & 0o777).toBe(0o700);
});

test('release punches a hole: the storage goes, the size and later offsets stay', async () => {
  const path = join(root, 'b', 'svc.stderr');
  const w = openOutputForChild(path);
  writeSync(w, Buffer.alloc(4 * 1024 * 1024, 0x78));
  writeSync(w, 'tail\n');
  const file = openOutputFile(path);
  const before = statSync(path).blocks;
  file.release(4 * 1024 * 1024);
  await until(() => statSync(path).blocks < before / 2, 'the hole');
  expect(file.size()).toBe(4 * 1024 * 1024 + 5);
  const buf = Buffer.alloc(5);
  file.read(buf, 4 * 1024 * 1024);
  expect(buf.toString()).toBe('tail\n');
  file.close();
  closeSync(w);
});

test('a directory others may write, or a symlink, is refused (the default root is in /dev/shm)', () => {
  mkdirSync(join(root, 'open'), { mode: 0o777 });
  chmodSync(join(root, 'open'), 0o777);
  expect(() => openOutputForChild(join(root, 'open', 'svc.stdout'))).toThrow(/closed to others/);
  symlinkSync(join(root, 'a'), join(root, 'link'));
  expect(() => openOutputFile(join(root, 'link', 'svc.stdout'))).toThrow(/closed to others/);
});
