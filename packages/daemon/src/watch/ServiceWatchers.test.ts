import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FileWatcherOptions } from './FileWatcher.js';
import { ServiceWatchers } from './ServiceWatchers.js';

async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

let dir: string;
let watchers: ServiceWatchers;
let lines: string[];
let changes: string[][];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kepler-rw-'));
  fs.mkdirSync(path.join(dir, 'src'));
  lines = [];
  changes = [];
  watchers = new ServiceWatchers((l) => lines.push(l));
});

afterEach(() => {
  watchers.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const options = (): FileWatcherOptions => ({
  root: dir,
  patterns: ['src/**/*.js'],
  debounceMs: 20,
  onChange: (paths) => changes.push(paths),
});

test('logs a watcher once it is armed, then reports changes', async () => {
  watchers.update('api', options);
  watchers.update('api', options); // idempotent: one watcher, one line
  await waitFor(() => lines.length > 0, 'the armed line');
  expect(lines).toEqual([`watching files of api: src/**/*.js in ${dir}`]);
  fs.writeFileSync(path.join(dir, 'src', 'a.js'), 'x');
  await waitFor(() => changes.length > 0, 'a change');
  expect(changes).toEqual([['src/a.js']]);
});

test('a watcher dropped before it is armed logs nothing and reports nothing', async () => {
  watchers.update('api', options);
  watchers.update('api', () => null);
  watchers.update('web', options); // armed after api would have been
  await waitFor(() => lines.length > 0, 'web armed');
  fs.writeFileSync(path.join(dir, 'src', 'a.js'), 'x');
  await waitFor(() => changes.length > 0, 'web to see the change');
  expect(lines).toEqual([`watching files of web: src/**/*.js in ${dir}`]);
  expect(changes).toHaveLength(1);
});

test('a watcher that cannot be created is logged, not thrown', () => {
  watchers.update('api', () => ({ ...options(), patterns: [''] })); // picomatch throws on ''
  expect(lines).toEqual([expect.stringMatching(/^cannot watch files of api: /)]);
});
