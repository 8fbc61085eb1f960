// A full disk under the log files: a small tmpfs mounted for the test (root only, like the daemon).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { recordsOf, settings, tempDir } from './__tests__/support.js';
import type { LogSink } from './CaptureSink.js';
import { LogStore } from './LogStore.js';

const isRoot = process.getuid?.() === 0;
const maybe = isRoot ? describe : describe.skip;

let mount = '';
beforeAll(() => {
  if (!isRoot) return;
  mount = tempDir();
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mount]);
});
afterAll(() => {
  if (!mount) return;
  try {
    execFileSync('umount', [mount]);
  } catch {
    execFileSync('umount', ['-l', mount]);
  }
  fs.rmSync(mount, { recursive: true, force: true });
});

/** Takes every free page of the tmpfs. */
function fill(file: string): void {
  const fd = fs.openSync(file, 'a');
  try {
    for (const size of [16 * 1024, 4096, 1]) {
      try {
        for (;;) fs.writeSync(fd, Buffer.alloc(size, 0x2e));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

const line = (i: number) => `line-${String(i).padStart(5, '0')} ${'x'.repeat(90)}`;

maybe('a log file on a full disk', () => {
  it('keeps whole records only, counts the rest, and writes a marker when space is back', () => {
    const dir = path.join(mount, 'logs');
    const resumed: string[] = [];
    const errors: string[] = [];
    const store = new LogStore({
      dir,
      settings: () =>
        settings({
          retention: { onStart: 'retain', onStop: 'retain', onRestart: 'retain', onExit: 'retain' },
        }),
      onError: (e) => errors.push(e.message),
      onResumed: (m) => resumed.push(m),
      retryMs: 0,
    });
    const sink: LogSink = store.sink({ service: 'web', hook: null, stream: 'stdout' });
    sink.write(Buffer.from(`${line(0)}\n`));
    const filler = path.join(mount, 'filler');
    fill(filler);
    // Batches of 7 lines (~700 bytes): the free end of the file's last page takes part of one.
    let n = 1;
    for (let batch = 0; batch < 20; batch++) {
      let chunk = '';
      for (let i = 0; i < 7; i++) chunk += `${line(n++)}\n`;
      sink.write(Buffer.from(chunk));
    }
    const file = path.join(dir, 'web.stdout.log');
    const stored = recordsOf(file); // throws on anything but whole records
    expect(stored.length).toBeGreaterThan(1);
    expect(stored).toEqual(Array.from({ length: stored.length }, (_, i) => line(i)));
    expect(store.notStored('web')).toBe(n - stored.length);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/no space left on device/);

    fs.rmSync(filler);
    sink.write(Buffer.from(`${line(n)}\n`));
    const lost = n - stored.length;
    expect(recordsOf(file)).toEqual([
      ...stored,
      `[kepler] ${lost} lines not stored: no space left on device`,
      line(n),
    ]);
    expect(resumed).toEqual([
      `log file ${file} is written again: ${lost} lines were not stored (no space left on device)`,
    ]);
    store.closeAll();
  });
});
