/**
 * The CLI package's directory (`packages/cli/`) as a file URL ending in `/`. This module sits one level
 * below it both in `src/` and in the build (the bundler puts every chunk directly in `dist/`), so keep
 * it at the top of `src/`.
 */
export const CLI_PACKAGE_URL: string = new URL('../', import.meta.url).href;
