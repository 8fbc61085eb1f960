/**
 * Bundles the daemon into dist/ with esbuild: `main.js` (the `kepler-daemon` bin: every module the
 * daemon runs, in one file, all loaded at start-up as before) and `bakeWorker.js` (the bake workers'
 * entry, which `bake/bakeOffThread.ts` finds beside main.js). One file instead of ~150 modules: no
 * module records, resolutions or per-file wrappers held for the life of the daemon, and sources
 * minified (V8 keeps each script's source in memory). `bundle-meta.json` (esbuild's metafile) says
 * which sources each file holds.
 */
import { chmodSync, cpSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const result = await build({
  entryPoints: {
    main: 'src/main.ts',
    bakeWorker: 'src/bake/bakeWorker.ts',
    // The reverse proxy's thread (proxy/ProxyHost.ts finds it beside main.js).
    proxyWorker: 'src/proxy/proxyWorker.ts',
    // For the benchmarks that drive one subsystem in-process (bench/log-capture-bench.mjs,
    // bench/state-check-bench.mjs); the daemon does not load these.
    'logs/index': 'src/logs/index.ts',
    'platform/index': 'src/platform/index.ts',
  },
  outdir: 'dist',
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Kept as imports of their packages: @kepler/config and yaml are loaded only by bake workers (the
  // config package's Lua worker finds luau-web from its own package, which a copy bundled here could
  // not); posix is a native addon, required at run time (platform/users.ts).
  external: ['@kepler/config', 'yaml', 'posix'],
  // CommonJS dependencies (picomatch) require node builtins: give the bundle a `require` for them.
  banner: {
    js: "import { createRequire as __keplerRequire } from 'node:module'; const require = __keplerRequire(import.meta.url);",
  },
  minify: true,
  // Function and class names stay as written: stack traces in daemon.log must still say where.
  keepNames: true,
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
});
writeFileSync('dist/bundle-meta.json', `${JSON.stringify(result.metafile, null, 1)}\n`);
chmodSync('dist/main.js', 0o755);
// The dashboard's files (plain HTML, CSS and JS, served by http/dashboardRoutes.ts from `./dashboard/`
// beside the module that reads them: here, beside main.js).
cpSync('src/http/dashboard', 'dist/dashboard', { recursive: true });
