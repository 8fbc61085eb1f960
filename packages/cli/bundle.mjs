/**
 * Bundles the CLI into dist/ with esbuild: `main.js` (the `kepler` bin) and `index.js` (the library),
 * ES modules split into chunks, so each dynamic `import()` of a command (see src/dispatch.ts) and of
 * the config pipeline is a chunk loaded only by the calls that need it. Bundled, a call reads a few
 * files instead of resolving ~50 modules. `bundle-meta.json` (esbuild's metafile) says which sources
 * each chunk holds; a unit test reads it to check what a command loads.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

/**
 * `@kepler/config` (the pipeline: YAML, Lua, schema) stays an import of the package, loaded from
 * packages/config/dist by the commands that bake: its Lua worker finds luau-web from its own package,
 * which a copy bundled here could not. Its light entries (`/files`, `/grammar`) are bundled.
 */
const configPipelineExternal = {
  name: 'config-pipeline-external',
  setup(build) {
    build.onResolve({ filter: /^@kepler\/config$/ }, (args) => ({ path: args.path, external: true }));
  },
};

const result = await build({
  entryPoints: ['src/main.ts', 'src/index.ts'],
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Every chunk directly in dist/: src/packageUrl.ts and src/version.ts find the package as `../`.
  chunkNames: 'chunk-[hash]',
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
  // clipanion and typanion ship ES modules beside their CommonJS as extensionless `main`s
  // (`lib/advanced/index` -> `.mjs`): take those, which bundle without a `require` shim (clipanion's
  // one `require`, of async_hooks, is in its capture mode, which Kepler does not enable).
  resolveExtensions: ['.mjs', '.ts', '.js', '.json'],
  plugins: [configPipelineExternal],
});
writeFileSync('dist/bundle-meta.json', `${JSON.stringify(result.metafile, null, 1)}\n`);
chmodSync('dist/main.js', 0o755);
