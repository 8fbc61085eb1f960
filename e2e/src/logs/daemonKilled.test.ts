/**
 * Issue 12: no line lost when the daemon is killed, at any output rate. A service prints `seq 1 N` as
 * fast as it can; the daemon is killed (SIGKILL) while it is storing that flood and started again;
 * the log then holds every number once, in order, each in a whole timestamped record: no line lost,
 * none twice, no fragment. Also with `buffer_size` > 0 (lines buffered in the killed daemon's memory).
 */
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon, waitFor } from '../testkit.js';

const T = 120_000;
const N = 2_000_000;
/** Kill once this much is stored: the daemon is then in the middle of the flood. */
const KILL_AT_BYTES = 4 * 1024 * 1024;

const d = new TestDaemon('kepler-logs-killed');
beforeAll(() => d.start(), T);
afterAll(() => d.cleanup(), T);

function size(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** The last record of the log (its last 64 bytes are enough for `<ts> <number>`). */
function lastRecord(file: string): string {
  const len = size(file);
  if (len === 0) return '';
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(Math.min(64, len));
    readSync(fd, buf, 0, buf.length, len - buf.length);
    const lines = buf.toString('latin1').split('\n');
    return lines.at(-2) ?? '';
  } finally {
    closeSync(fd);
  }
}

/**
 * Counts what is wrong with the records (each should be `<ts> <n>`, n = 1..N once each, in order):
 * numbers missing, records not of that form, and numbers out of order: a duplicate, or the tail of a
 * line cut by the kill (`12193` after `712192`: the old FIFO capture stored those).
 */
function checkLog(file: string): { lost: number; malformed: number; outOfOrder: number } {
  const text = readFileSync(file, 'latin1');
  const records = text.split('\n');
  expect(records.pop()).toBe(''); // ends with a whole record
  let expected = 1;
  let lost = 0;
  let malformed = 0;
  let outOfOrder = 0;
  const record = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (\d+)$/;
  for (const r of records) {
    const m = record.exec(r);
    if (!m) {
      malformed++;
      continue;
    }
    const n = Number(m[1]);
    if (n < expected) outOfOrder++;
    else if (n > expected) lost += n - expected;
    if (n >= expected) expected = n + 1;
  }
  lost += N + 1 - expected;
  return { lost, malformed, outOfOrder };
}

async function floodAndKill(name: string, logs: string): Promise<void> {
  const config = d.writeConfig(
    `services:\n  flood:\n    command: ["seq", "1", "${N}"]\n    logs: ${logs}\n`,
    `${name}.kepler.yaml`,
  );
  const logFile = join(d.configStateDir(config), 'logs', 'flood.stdout.log');
  expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
  await waitFor(() => size(logFile) >= KILL_AT_BYTES, 'the flood to be stored in part', {
    timeoutMs: 60_000,
    intervalMs: 5,
  });
  await d.crash();
  const storedAtKill = size(logFile);
  await d.start();
  await waitFor(() => lastRecord(logFile).endsWith(` ${N}`), 'the last line', { timeoutMs: 60_000 });
  const result = checkLog(logFile);
  expect({ storedAtKill: storedAtKill < size(logFile), ...result }).toEqual({
    storedAtKill: true,
    lost: 0,
    malformed: 0,
    outOfOrder: 0,
  });
  expect((await d.cli(['stop', '--clean', '-f', config])).code).toBe(0);
}

test.each([1, 2, 3])(
  'trial %i: seq 1 2000000, the daemon killed mid-flood and restarted: 0 lost, 0 fragments, each once in order',
  async (trial) => {
    await floodAndKill(`trial${trial}`, '{ max_size: 1GB }');
  },
  T,
);

test(
  'buffer_size > 0: lines buffered in the killed daemon are stored by the next one (the bound is 0)',
  async () => {
    await floodAndKill('buffered', '{ max_size: 1GB, buffer_size: 4MB }');
  },
  T,
);
