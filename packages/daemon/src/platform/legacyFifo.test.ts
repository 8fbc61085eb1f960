import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLegacyFifo } from './legacyFifo.js';

const dir = mkdtempSync(join(tmpdir(), 'kepler-legacy-fifo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("an adopted process's FIFO (held read-write, as older daemons started services) is read to its end", async () => {
  const fifo = join(dir, 'svc.stdout');
  execFileSync('mkfifo', [fifo]);
  const child = spawn('sh', ['-c', 'exec 1<>"$0"; echo before; exec sleep 30', fifo], {
    stdio: 'ignore',
  });
  const exited = new Promise((r) => child.on('exit', r));
  let reader = null;
  const deadline = Date.now() + 5_000;
  while (reader === null && Date.now() < deadline) {
    reader = openLegacyFifo(child.pid!, 1);
    if (reader === null) await new Promise((r) => setTimeout(r, 10));
  }
  expect(reader).not.toBeNull();
  let text = '';
  reader!.on('data', (c: Buffer) => {
    text += c.toString();
  });
  const ended = new Promise((r) => reader!.on('end', r));
  child.kill('SIGKILL'); // its last writer gone: EOF
  await exited;
  await ended;
  expect(text).toBe('before\n');
});

test('a process writing elsewhere (a pipe, a file, nothing) has no FIFO to read', () => {
  expect(openLegacyFifo(process.pid, 2)).toBeNull();
  expect(openLegacyFifo(999_999_999, 1)).toBeNull();
});
