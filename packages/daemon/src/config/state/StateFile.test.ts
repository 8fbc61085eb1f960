import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PersistedConfigState } from '../../service/serviceState.js';
import { StateFile } from './StateFile.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kepler-statefile-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const state = (n: number): PersistedConfigState => ({ version: 1, global_init_done: n > 0, services: {} });

async function until(fn: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('a burst of schedules gives the latest state on disk; writeNow wins over an in-flight write', async () => {
  let n = 0;
  const file = new StateFile(
    join(dir, 'state.json'),
    () => state(n),
    () => undefined,
  );
  expect(file.read([]).state).toBeNull();
  for (n = 1; n <= 5; n++) file.schedule();
  await until(() => file.read([]).state?.global_init_done === true);
  n = 0;
  file.schedule(); // in flight (or about to be) with global_init_done false…
  n = 7;
  file.writeNow(); // …but the synchronous write is newer and must stay
  await file.settled();
  expect(file.read([]).state).toEqual(state(7));
  expect(readdirSync(dir)).toEqual(['state.json']);
  file.close();
  n = 0;
  file.schedule();
  file.writeNow();
  expect(JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'))).toEqual(state(7));
});

test('a failed write throws at no caller, is reported once, and lands once it can', async () => {
  const logged: string[] = [];
  let n = 1;
  const path = join(dir, 'missing', 'state.json'); // no directory yet: every write fails
  const file = new StateFile(
    path,
    () => state(n),
    (l) => logged.push(l),
  );
  expect(file.writeNow()).toBe(false);
  n = 2;
  file.schedule();
  await file.settled();
  expect(logged).toHaveLength(1);
  expect(logged[0]).toMatch(/^cannot write .*state\.json: ENOENT/);
  mkdirSync(join(dir, 'missing'));
  // Retried without another transition.
  await until(() => file.read([]).state?.global_init_done === true);
  await file.settled();
  expect(logged[1]).toMatch(/state\.json is written again$/);
  expect(readdirSync(join(dir, 'missing'))).toEqual(['state.json']);
  file.close();
}, 10_000);

test('the final write at shutdown reports its failure and leaves the last written file as it was', () => {
  const logged: string[] = [];
  const path = join(dir, 'state.json');
  let n = 1;
  const file = new StateFile(
    path,
    () => state(n),
    (l) => logged.push(l),
  );
  expect(file.writeNow()).toBe(true);
  // A directory where the temporary file goes: the write fails as a full disk would.
  mkdirSync(`${path}.tmp-${process.pid}`);
  n = 0;
  expect(file.closeWithFinalWrite()).toBe(false);
  expect(logged).toEqual([
    expect.stringMatching(/^cannot write .*state\.json at shutdown: .*last written state/),
  ]);
  expect(file.read([]).state).toEqual(state(1));
  file.schedule(); // closed: no more writes
  expect(file.read([]).state).toEqual(state(1));
});

test('read checks the file: missing is no problem, corrupt or unreadable is reported', () => {
  const file = new StateFile(
    join(dir, 'state.json'),
    () => state(0),
    () => undefined,
  );
  expect(file.read(['web'])).toMatchObject({ state: null, problems: [], exists: false });
  writeFileSync(join(dir, 'state.json'), '{"version": 1, "services": {"web": {"status": "bogus"}}}');
  const corrupt = file.read(['web']);
  expect(corrupt.exists).toBe(true);
  expect(corrupt.problems).toContainEqual(expect.stringMatching(/^services\.web\.status: /));
  expect(corrupt.state?.services.web?.status).toBe('stopped');
  rmSync(join(dir, 'state.json'));
  mkdirSync(join(dir, 'state.json'));
  expect(file.read(['web'])).toMatchObject({ state: null, exists: true });
  expect(file.read(['web']).problems).toEqual([expect.stringMatching(/^cannot read it: EISDIR/)]);
});
