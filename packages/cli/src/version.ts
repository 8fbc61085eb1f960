import { readFileSync } from 'node:fs';

/**
 * The CLI's version, read from packages/cli/package.json next to `src/` and `dist/` (both are one level
 * below it), so `kepler --version` never disagrees with the package.
 */
export const CLI_VERSION: string = readVersion();

function readVersion(): string {
  try {
    const pkg: unknown = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    if (pkg !== null && typeof pkg === 'object' && 'version' in pkg && typeof pkg.version === 'string') {
      return pkg.version;
    }
  } catch {
    // Fall through: a missing package.json must not stop the CLI from running.
  }
  return '0.0.0-unknown';
}
