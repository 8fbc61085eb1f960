#!/usr/bin/env node
// Times `kepler config` on the Full Example, end to end (a fresh `node` process per run, as a user
// would run it), and the bake itself in-process through the built @kepler/config dist.
//
//   node bench/config-bench.mjs [--runs 20] [--file examples/full/kepler.yaml]
//
// Needs `pnpm build` first. Without packages/cli/dist/main.js (the CLI not built yet) the CLI row is
// skipped; the cold-process row (a fresh node that imports the dist and bakes once) stands in for it.
// Target: the CLI median under 300 ms on the reference machine (Debian 12, 2 cores).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { stats, timeProcess as timeProcessIn } from './lib.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'packages/cli/dist/main.js');
const CONFIG_DIST = join(ROOT, 'packages/config/dist/index.js');
const TARGET_MS = 300;

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    file: { type: 'string', default: 'examples/full/kepler.yaml' },
  },
});
const runs = Number(values.runs);
const file = resolve(ROOT, values.file);
const luaFile = join(ROOT, 'examples/lua/kepler.yaml');

/** Runs `args` with node `runs` times (after one warm-up); returns wall-clock stats in ms. */
const timeProcess = (args) => timeProcessIn(args, { runs, cwd: ROOT });

async function timeInProcess(loadConfig, path) {
  const env = { ...process.env };
  const samples = [];
  for (let i = 0; i <= runs; i++) {
    const started = performance.now();
    await loadConfig({ path, env, onLuaPrint: () => {} });
    if (i > 0) samples.push(performance.now() - started);
  }
  return stats(samples);
}

if (!existsSync(CONFIG_DIST)) {
  console.error(
    `missing ${CONFIG_DIST}: run \`pnpm build\` (or tsc -p packages/config/tsconfig.build.json) first`,
  );
  process.exit(1);
}

const rows = [];
if (existsSync(CLI)) {
  rows.push(['kepler config -f (CLI, end to end)', timeProcess([CLI, 'config', '-f', file]), TARGET_MS]);
} else {
  rows.push(['kepler config -f (CLI, end to end)', null, TARGET_MS]);
}
const distUrl = JSON.stringify(pathToFileURL(CONFIG_DIST).href);
const coldScript = [
  `const m = await import(${distUrl});`,
  `const baked = await m.loadConfig({ path: ${JSON.stringify(file)}, env: process.env });`,
  "process.stdout.write(m.renderBakedConfig(baked, 'yaml'));",
].join(' ');
rows.push([
  'fresh node: import dist + bake + render',
  timeProcess(['--input-type=module', '-e', coldScript]),
  TARGET_MS,
]);
rows.push(['node -e "" (process start only)', timeProcess(['-e', '']), null]);

const { loadConfig } = await import(pathToFileURL(CONFIG_DIST).href);
rows.push([`loadConfig in-process (${values.file})`, await timeInProcess(loadConfig, file), null]);
if (existsSync(luaFile)) {
  rows.push([
    'loadConfig in-process (examples/lua, Lua worker)',
    await timeInProcess(loadConfig, luaFile),
    null,
  ]);
}

const fmt = (ms) => (ms === undefined ? '-' : `${ms.toFixed(1)}`);
const header = ['scenario', 'runs', 'median ms', 'p90 ms', 'min ms', 'max ms', 'target'];
const table = rows.map(([name, s, target]) =>
  s === null
    ? [name, '-', 'skipped: packages/cli/dist/main.js not built', '', '', '', target ? `< ${target}` : '']
    : [
        name,
        String(s.runs),
        fmt(s.median),
        fmt(s.p90),
        fmt(s.min),
        fmt(s.max),
        target ? `< ${target} ${s.median < target ? 'ok' : 'OVER'}` : '',
      ],
);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => String(row[i]).length)));
const line = (cells) => cells.map((cell, i) => String(cell).padEnd(widths[i])).join('  ');
console.log(`config bench: ${values.file}, ${runs} runs each (after 1 warm-up), node ${process.version}`);
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const row of table) console.log(line(row));
