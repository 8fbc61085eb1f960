import { closeSync, lstatSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { makeTmpDir, PY, Reaper, readAll, spec, waitFor } from './__tests__/helpers.js';
import { PlatformError } from './errors.js';
import { createFifo, createFifos, openFifoForChild, openFifoReader } from './fifo.js';
import { readStartTime } from './procfs.js';
import { spawnService } from './spawn.js';

const reaper = new Reaper();
afterEach(() => reaper.killAll());

/** Spawns `command` with stdout going to a fresh FIFO; the daemon's copy of the child fd is closed. */
async function spawnIntoFifo(command: string[], withReader: boolean) {
  const fifo = join(makeTmpDir(), 'svc.stdout');
  createFifo(fifo);
  const fd = openFifoForChild(fifo);
  let reader: Readable | null = null;
  try {
    // Opened while our write fd exists, so it does not see EOF before the child starts.
    if (withReader) reader = openFifoReader(fifo);
    const proc = await spawnService(spec({ command, stdout: fd, stderr: 'ignore' }));
    reaper.add(proc.pid);
    return { fifo, proc, reader };
  } finally {
    closeSync(fd);
  }
}

describe('createFifo', () => {
  test('creates a FIFO with mode 0600, and is idempotent', () => {
    const path = join(makeTmpDir(), 'f');
    createFifo(path);
    const st = lstatSync(path);
    expect(st.isFIFO()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    expect(() => createFifo(path)).not.toThrow();
  });

  test('createFifos makes every missing FIFO in one go and keeps existing ones', () => {
    const dir = makeTmpDir();
    const [a, b] = [join(dir, 'a'), join(dir, 'b')];
    createFifo(a);
    const inode = lstatSync(a).ino;
    createFifos([a, b]);
    expect(lstatSync(a).ino).toBe(inode);
    expect(lstatSync(b).isFIFO()).toBe(true);
    expect(lstatSync(b).mode & 0o777).toBe(0o600);
  });

  test('refuses a path that is not a FIFO', () => {
    const path = join(makeTmpDir(), 'file');
    writeFileSync(path, '');
    expect(() => createFifo(path)).toThrow(PlatformError);
    try {
      createFifo(path);
    } catch (err) {
      expect((err as PlatformError).code).toBe('FIFO_FAILED');
    }
  });

  test('fails with FIFO_FAILED when the directory is missing', () => {
    expect(() => createFifo('/kt-no-such-dir/f')).toThrow(/cannot create FIFO/);
  });
});

describe('FIFO capture', () => {
  test('the reader gets every line the child writes, then ends', async () => {
    const { proc, reader } = await spawnIntoFifo(
      ['sh', '-c', 'for i in 1 2 3; do echo line$i; done; printf tail'],
      true,
    );
    const out = await readAll(reader);
    expect(out.toString()).toBe('line1\nline2\nline3\ntail');
    expect((await proc.exited).code).toBe(0);
  });

  test('with no reader, a child writing more than the pipe holds blocks instead of dying; nothing is lost', async () => {
    const total = 200 * 1024;
    const write = `import sys; sys.stdout.buffer.write(b"x" * ${total}); sys.stdout.buffer.write(b"\\ndone\\n")`;
    const { fifo, proc } = await spawnIntoFifo([PY, '-c', write], false);
    // Blocked in pipe_write: alive, not killed by SIGPIPE, not erroring with EPIPE.
    await waitFor(() => {
      try {
        return /pipe_write$/.test(readFileSync(`/proc/${proc.pid}/wchan`, 'utf8')); // anon_pipe_write on 6.x
      } catch {
        return false;
      }
    }, 'the writer to block in pipe_write');
    expect(readStartTime(proc.pid)).not.toBeNull();
    // A reader arrives (a new daemon) and drains everything.
    const out = await readAll(openFifoReader(fifo));
    expect(out.length).toBe(total + 6);
    expect(out.subarray(0, total).every((b) => b === 0x78)).toBe(true);
    expect(out.subarray(total).toString()).toBe('\ndone\n');
    expect(await proc.exited).toEqual({ code: 0, signal: null });
  });

  test('idle readers do not occupy the threadpool', async () => {
    // More idle FIFOs than libuv has threadpool threads (4): with blocking reads on the pool, the
    // readFile below would never get a thread.
    const held: number[] = [];
    const readers: Readable[] = [];
    try {
      for (let i = 0; i < 8; i++) {
        const path = join(makeTmpDir(), `idle${i}`);
        createFifo(path);
        held.push(openFifoForChild(path));
        const r = openFifoReader(path);
        r.resume();
        readers.push(r);
      }
      let timer: NodeJS.Timeout | undefined;
      const text = await Promise.race([
        readFile('/proc/self/stat', 'utf8'),
        new Promise<string>((_, reject) => {
          timer = setTimeout(() => reject(new Error('threadpool starved')), 3000);
        }),
      ]).finally(() => clearTimeout(timer));
      expect(text).toContain(String(process.pid));
    } finally {
      for (const r of readers) r.destroy();
      for (const fd of held) closeSync(fd);
    }
  });
});
