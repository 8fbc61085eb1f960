import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The daemon's folders ("rooms") and what each may import (ARCHITECTURE.md has the same table).
 * Imports point down: server -> config -> service -> health/hooks/logs/platform, never back up, so
 * the OS layer and the log store can be understood (and replaced by a fake) without the supervisor.
 * `(top)` is the files directly in src/ (entry points, errors, formatMs, DaemonDir).
 */
const MAY_IMPORT: Record<string, readonly string[]> = {
  '(top)': ['server', 'platform', 'http'],
  server: [
    'config',
    'service',
    'hooks',
    'logs',
    'platform',
    'bake',
    'metrics',
    'http',
    'ports',
    'proxy',
    '(top)',
  ],
  http: ['server', 'config', '(top)'],
  bake: ['(top)'],
  config: ['service', 'health', 'hooks', 'watch', 'logs', 'platform', 'bake', 'ports', '(top)'],
  service: ['health', 'hooks', 'logs', 'platform', '(top)'],
  health: ['platform', '(top)'],
  hooks: ['logs', 'platform', '(top)'],
  watch: ['(top)'],
  metrics: ['platform'],
  logs: [],
  platform: [],
  ports: ['platform'],
  proxy: ['ports'],
  testkit: ['config', 'service', 'health', 'hooks', 'watch', 'logs', 'platform', 'bake', 'ports', '(top)'],
};

const SRC = dirname(fileURLToPath(import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === '__tests__' ? [] : sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [p] : [];
  });
}

function roomOf(file: string): string {
  const rel = relative(SRC, file).split('/');
  return rel.length === 1 ? '(top)' : rel[0]!;
}

/** Every `room -> room` import that the table does not allow, as `file: spec`. */
function violations(): string[] {
  const found: string[] = [];
  for (const file of sources(SRC)) {
    const from = roomOf(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
      const to = roomOf(resolve(dirname(file), m[1]!));
      if (to !== from && !(MAY_IMPORT[from] ?? []).includes(to)) {
        found.push(`${relative(SRC, file)}: ${m[1]} (${from} -> ${to})`);
      }
    }
  }
  return found;
}

test('every daemon folder is in the table', () => {
  const rooms = new Set(sources(SRC).map(roomOf));
  expect([...rooms].filter((r) => !(r in MAY_IMPORT))).toEqual([]);
});

test('imports point only where the table allows (platform and logs import nothing above them)', () => {
  expect(violations()).toEqual([]);
});
