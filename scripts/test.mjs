#!/usr/bin/env node
// Runs every jest project once and prints the closing line CI reads: `tests: N passed, M failed`.
// jest's own summary is not that line, so we read its --json report.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, '.test-results.json');
rmSync(out, { force: true });
const args = [
  '--experimental-vm-modules',
  join(root, 'node_modules/jest/bin/jest.js'),
  '--json',
  `--outputFile=${out}`,
  ...process.argv.slice(2),
];
const run = spawnSync(process.execPath, args, {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, NODE_OPTIONS: '--no-warnings' },
});
let passed = 0;
let failed = 0;
try {
  const report = JSON.parse(readFileSync(out, 'utf8'));
  passed = report.numPassedTests;
  failed = report.numFailedTests + (report.numRuntimeErrorTestSuites ?? 0);
} catch {
  failed = Math.max(1, failed);
}
if (run.status !== 0 && failed === 0) failed = 1;
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
