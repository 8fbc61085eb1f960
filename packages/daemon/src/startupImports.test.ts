import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The daemon loads every module at start-up (static imports), never on first use. On Node 20,
 * `fs.realpathSync` with the module loader's cache reads the type of the LAST `stat` the process made
 * (a process-wide array) instead of the path it walks: after any `stat`/`lstat`/`fstat` of a FIFO or
 * a socket (the daemon checks the services' FIFOs at every start; a callback `fs.stat` counts too), the
 * loader stops resolving symlinks and caches the wrong path for good. Under pnpm's symlinked
 * node_modules, a later `import('./FileWatcher.js')` then looked for chokidar's dependency `readdirp`
 * next to the symlink and failed for the life of the daemon (nodejs/node#51142; issue 10, defect 1).
 * Static imports are all resolved before the daemon runs a line, so nothing it stats can matter.
 *
 * `node:` builtins are safe to load late (no file is resolved). A `require` at a module's top level
 * runs at start-up too (platform/users.ts loads the posix addon that way).
 */
const SRC = dirname(fileURLToPath(import.meta.url));
/** Files allowed to call createRequire, with why it is safe. */
const REQUIRE_ALLOWED: Record<string, string> = {
  'platform/users.ts': 'requires the posix addon at module top level, at start-up',
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === '__tests__' ? [] : sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [p] : [];
  });
}

/** Strips comments (a crude pass is enough for our own sources). */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/** Dynamic imports of anything but a builtin, and createRequire outside REQUIRE_ALLOWED, in one file. */
function lateLoads(rel: string, source: string): string[] {
  const text = code(source);
  const found: string[] = [];
  for (const m of text.matchAll(/(?<!typeof\s)\bimport\(\s*([^)]*)\)/g)) {
    if (!/^['"`]node:/.test(m[1] ?? '')) found.push(`${rel}: import(${m[1]})`);
  }
  if (/\bcreateRequire\(/.test(text) && !(rel in REQUIRE_ALLOWED)) found.push(`${rel}: createRequire`);
  return found;
}

test('the daemon loads no module after start-up except node: builtins', () => {
  const late = sources(SRC).flatMap((file) => lateLoads(relative(SRC, file), readFileSync(file, 'utf8')));
  expect(late).toEqual([]);
});

test('the check finds late loads and ignores builtins, types and comments', () => {
  const source = [
    "const { FileWatcher } = await import('./FileWatcher.js');",
    "const http = await import('node:http');",
    "type T = typeof import('./x.js');",
    "// a comment: import('yaml')",
    'const r = createRequire(import.meta.url);',
  ].join('\n');
  expect(lateLoads('x.ts', source)).toEqual(["x.ts: import('./FileWatcher.js')", 'x.ts: createRequire']);
});
