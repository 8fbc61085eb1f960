#!/usr/bin/env node
// Compiles the fork server (src/platform/spawner/kepler-spawner.c) into dist/kepler-spawner with the
// machine's C compiler ($CC, else cc). Without a compiler the daemon still works: it falls back to
// the exec chain (sh, prlimit, setpriv) and says so once in its log. A compile error fails the build.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('../src/platform/spawner/kepler-spawner.c', import.meta.url));
const output = fileURLToPath(new URL('../dist/kepler-spawner', import.meta.url));
const cc = process.env.CC || 'cc';

mkdirSync(fileURLToPath(new URL('../dist', import.meta.url)), { recursive: true });
const r = spawnSync(cc, ['-O2', '-Wall', '-Wextra', '-Werror', '-o', output, source], { stdio: 'inherit' });
if (r.error && r.error.code === 'ENOENT') {
  console.warn(`build-spawner: ${cc} not found; the daemon will use the exec chain (install gcc for faster starts)`);
} else if (r.status !== 0) {
  process.exit(r.status ?? 1);
}
