import { readFileSync } from 'node:fs';

/**
 * The daemon's version, read from packages/daemon/package.json: this module sits one level below the
 * package both in `src/` and in the bundle (`dist/main.js`), so keep it at the top of `src/`.
 */
export const DAEMON_VERSION: string = readVersion();

function readVersion(): string {
  try {
    const pkg: unknown = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    if (pkg !== null && typeof pkg === 'object' && 'version' in pkg && typeof pkg.version === 'string') {
      return pkg.version;
    }
  } catch {
    // Fall through: a missing package.json must not stop the daemon.
  }
  return '0.0.0';
}
