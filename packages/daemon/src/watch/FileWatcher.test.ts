import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileWatcher } from './FileWatcher.js';

async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

let dir: string;
const watchers: FileWatcher[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kepler-fw-'));
  write('app/src/a.ts', 'a');
  write('app/src/sub/deep.ts', 'd');
  write('app/README.md', 'r');
  write('app/node_modules/pkg/index.ts', 'n');
  write('app/.git/HEAD', 'h');
});

afterEach(async () => {
  await Promise.all(watchers.splice(0).map((w) => w.stop()));
  fs.rmSync(dir, { recursive: true, force: true });
});

function write(rel: string, content = String(Date.now())): void {
  const file = path.join(dir, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
}

/** A started watcher on `<tmp>/app` recording each callback's paths. */
async function watching(patterns: string[], debounceMs = 50) {
  const calls: string[][] = [];
  const w = new FileWatcher({
    root: path.join(dir, 'app'),
    patterns,
    debounceMs,
    onChange: (p) => calls.push(p),
  });
  watchers.push(w);
  await w.start();
  return { w, calls };
}

/**
 * Writes a matching file after the first callback and waits for it: a late event for anything written
 * before would show up by then, so absence can be asserted without a fixed wait.
 */
async function sentinel(calls: string[][], rel: string): Promise<void> {
  const seen = calls.length;
  write(rel);
  await waitFor(() => calls.slice(seen).flat().length > 0, 'the sentinel');
}

describe('FileWatcher', () => {
  test('a matching create, change and delete each trigger, with paths relative to root', async () => {
    const { calls } = await watching(['src/**/*.ts']);
    write('app/src/new.ts');
    await waitFor(() => calls.length === 1, 'create');
    write('app/src/a.ts', 'changed');
    await waitFor(() => calls.length === 2, 'change');
    fs.unlinkSync(path.join(dir, 'app/src/sub/deep.ts'));
    await waitFor(() => calls.length === 3, 'delete');
    expect(calls).toEqual([['src/new.ts'], ['src/a.ts'], ['src/sub/deep.ts']]);
  });

  test('a burst of 20 writes gives exactly one callback', async () => {
    const { calls } = await watching(['**/*.ts'], 200);
    const expected = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const rel = i % 2 === 0 ? `src/burst${i}.ts` : 'src/a.ts';
      write(`app/${rel}`, `v${i}`);
      expected.add(rel);
      await new Promise((r) => setImmediate(r)); // let the watcher see the writes one by one
    }
    await waitFor(() => calls.length >= 1, 'the burst');
    // A later write is the clock: its callback must hold only itself, so nothing of the burst was left.
    write('app/src/sentinel.ts');
    await waitFor(() => calls.length >= 2, 'the sentinel');
    expect(calls).toEqual([[...expected].sort(), ['src/sentinel.ts']]);
  });

  test('non-matching files do not trigger', async () => {
    const { calls } = await watching(['src/**/*.ts']);
    write('app/src/notes.md');
    write('app/README.md', 'changed');
    write('app/other/x.ts');
    write('app/src/b.ts');
    await waitFor(() => calls.length >= 1, 'the matching write');
    await sentinel(calls, 'app/src/zz-sentinel.ts');
    expect(calls.flat()).toEqual(['src/b.ts', 'src/zz-sentinel.ts']);
  });

  test('node_modules and dot directories and files are ignored unless named', async () => {
    const { calls } = await watching(['**/*']);
    write('app/node_modules/pkg/index.ts', 'changed');
    write('app/node_modules/pkg/new.ts');
    write('app/.git/HEAD', 'changed');
    write('app/.cache/x.ts');
    write('app/.env', 'A=1');
    write('app/src/sub/.hidden.ts');
    write('app/src/visible.ts');
    await waitFor(() => calls.length >= 1, 'the matching write');
    await sentinel(calls, 'app/src/zz-sentinel.ts');
    expect(calls.flat()).toEqual(['src/visible.ts', 'src/zz-sentinel.ts']);
  });

  test('a pattern that names node_modules or a dot path watches it', async () => {
    const { calls } = await watching(['node_modules/pkg/**', '.env', '.config/**/*.json', 'src/*.ts']);
    write('app/node_modules/other/index.ts');
    write('app/src/sub/nested.ts');
    write('app/node_modules/pkg/index.ts', 'changed');
    write('app/.env', 'A=1');
    write('app/.config/tool/settings.json', '{}');
    await waitFor(() => calls.flat().length >= 3, 'the named paths');
    await sentinel(calls, 'app/src/zz-sentinel.ts');
    expect(calls.flat().sort()).toEqual([
      '.config/tool/settings.json',
      '.env',
      'node_modules/pkg/index.ts',
      'src/zz-sentinel.ts',
    ]);
  });

  test('`?`, `[abc]` and `[!abc]` match one character', async () => {
    const { calls } = await watching(['src/[abc].txt', 'src/[!abc]x.txt', 'src/q?.txt']);
    for (const f of ['d.txt', 'ax.txt', 'q12.txt', 'q.txt']) write(`app/src/${f}`);
    for (const f of ['b.txt', 'dx.txt', 'q1.txt']) write(`app/src/${f}`);
    await waitFor(() => calls.flat().length >= 3, 'the matching files');
    await sentinel(calls, 'app/src/c.txt');
    expect(calls.flat().sort()).toEqual(['src/b.txt', 'src/c.txt', 'src/dx.txt', 'src/q1.txt']);
  });

  test('deleting a directory reports the matching files it held', async () => {
    const { calls } = await watching(['src/**/*.ts']);
    fs.rmSync(path.join(dir, 'app/src/sub'), { recursive: true });
    await waitFor(() => calls.length >= 1, 'the delete');
    expect(calls[0]).toEqual(['src/sub/deep.ts']);
  });

  test('a pattern under a directory that does not exist yet sees it created', async () => {
    const { calls } = await watching(['gen/**/*.ts']);
    write('app/gen/a/b/x.ts');
    await waitFor(() => calls.length >= 1, 'the new file');
    expect(calls[0]).toEqual(['gen/a/b/x.ts']);
  });

  test('a pattern may reach outside root with ../', async () => {
    write('shared/lib.ts');
    const { calls } = await watching(['../shared/*.ts']);
    write('shared/lib.ts', 'changed');
    await waitFor(() => calls.length >= 1, 'the change');
    expect(calls[0]).toEqual(['../shared/lib.ts']);
  });

  test('an absolute pattern matches, inside root and outside it', async () => {
    write('shared/lib.ts');
    const { calls } = await watching([path.join(dir, 'shared/*.ts'), path.join(dir, 'app/src/*.ts')]);
    write('shared/lib.ts', 'changed');
    await waitFor(() => calls.length >= 1, 'the change outside root');
    expect(calls[0]).toEqual(['../shared/lib.ts']);
    write('app/src/a.ts', 'changed');
    await waitFor(() => calls.length >= 2, 'the change inside root');
    expect(calls[1]).toEqual(['src/a.ts']);
  });

  test('no callback after stop(), even for a burst already pending; start() resumes', async () => {
    const { w, calls } = await watching(['src/*.ts'], 150);
    // Two more watchers on the same files: `fast` tells when an event has been delivered, `clock`
    // (same debounce as `w`) tells when `w` would have called back.
    const fast = await watching(['src/*.ts'], 1);
    const clock = await watching(['src/*.ts'], 150);
    write('app/src/before-stop.ts');
    await waitFor(() => clock.calls.length >= 1, 'the clock to see the first write');
    expect(calls).toEqual([['src/before-stop.ts']]);

    write('app/src/pending.ts');
    await waitFor(() => fast.calls.flat().includes('src/pending.ts'), 'the event to be delivered');
    await w.stop(); // `w` now holds pending.ts in its debounce
    write('app/src/after-stop.ts');
    await waitFor(
      () => clock.calls.flat().includes('src/after-stop.ts'),
      'the clock to see the later writes',
    );
    expect(calls).toEqual([['src/before-stop.ts']]);

    await w.start();
    write('app/src/resumed.ts');
    await waitFor(() => calls.length >= 2, 'a callback after start()');
    expect(calls[1]).toEqual(['src/resumed.ts']);
  });

  test('stop() before the scan finishes resolves start()', async () => {
    const w = new FileWatcher({ root: path.join(dir, 'app'), patterns: ['**/*.ts'], onChange: () => {} });
    const started = w.start();
    await w.stop();
    await started;
  });
});
