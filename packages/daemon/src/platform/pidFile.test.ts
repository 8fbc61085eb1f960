import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTmpDir } from './__tests__/helpers.js';
import { readPidFile } from './pidFile.js';
import { readStat } from './procfs.js';

const self = readStat(process.pid)!;

describe('readPidFile', () => {
  const dir = makeTmpDir();
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  test('missing, empty (not written yet) and malformed files', () => {
    expect(readPidFile(join(dir, 'none.pid'), self)).toEqual({ state: 'missing' });
    expect(readPidFile(file('empty.pid', ''), self)).toEqual({ state: 'missing' });
    expect(readPidFile(file('bad.pid', 'twelve\n'), self)).toEqual({
      state: 'invalid',
      detail: '"twelve" is not a pid',
    });
    expect(readPidFile(dir, self)).toMatchObject({ state: 'invalid' });
  });

  test('a FIFO is refused without blocking', () => {
    const fifo = join(dir, 'fifo.pid');
    spawnSync('mkfifo', [fifo]);
    expect(readPidFile(fifo, self)).toEqual({ state: 'invalid', detail: 'not a regular file' });
  });

  test('judges the pid against the launch: alive, started earlier, or dead', () => {
    const mine = file('self.pid', `${process.pid}\n`);
    expect(readPidFile(mine, self)).toEqual({
      state: 'alive',
      pid: process.pid,
      startTime: self.startTime,
      pgid: self.pgid,
    });
    const later = { startTime: String(BigInt(self.startTime) + 1n) };
    expect(readPidFile(mine, later)).toEqual({ state: 'earlier', pid: process.pid });
    const gone = spawnSync('sh', ['-c', 'echo $$']).stdout.toString().trim();
    expect(readPidFile(file('dead.pid', `${gone}\n`), self)).toMatchObject({
      state: 'dead',
      pid: Number(gone),
    });
  });
});
