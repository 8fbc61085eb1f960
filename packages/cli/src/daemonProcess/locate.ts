import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliError } from '../errors.js';
import { CLI_PACKAGE_URL } from '../packageUrl.js';

/** The command line that runs the daemon. */
export interface DaemonCommandLine {
  readonly command: string;
  readonly args: readonly string[];
  /** Where it was found, for messages. */
  readonly origin: 'KEPLER_DAEMON_BIN' | 'workspace' | 'PATH';
}

/**
 * Node flags for a daemon run by this Node, the ones its `#!` line names (packages/daemon/src/main.ts;
 * a test checks they agree). A 1 MiB young generation (default 16) keeps a daemon supervising 100
 * services at ~68 MB RSS instead of ~87: its allocations are small and short-lived.
 */
export const DAEMON_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];

/** The daemon's build in the workspace, relative to the CLI package (`packages/cli/`). */
const WORKSPACE_DAEMON = '../daemon/dist/main.js';

/**
 * Finds the daemon: `$KEPLER_DAEMON_BIN` (a `.js`/`.mjs` file runs with this Node, anything else is
 * executed), else packages/daemon/dist/main.js beside the CLI's package (the checkout and a workspace
 * install), else `kepler-daemon` on PATH. It does not check that the file is a working daemon.
 *
 * @throws CliError DAEMON_BINARY_NOT_FOUND
 */
export function locateDaemon(
  env: Readonly<Record<string, string | undefined>>,
  packageUrl: string = CLI_PACKAGE_URL,
): DaemonCommandLine {
  const fromEnv = env.KEPLER_DAEMON_BIN;
  if (fromEnv) {
    if (!existsSync(fromEnv)) {
      throw new CliError(
        'DAEMON_BINARY_NOT_FOUND',
        `KEPLER_DAEMON_BIN points to ${fromEnv}, which does not exist`,
      );
    }
    return /\.[cm]?js$/.test(fromEnv)
      ? { command: process.execPath, args: [...DAEMON_NODE_FLAGS, fromEnv], origin: 'KEPLER_DAEMON_BIN' }
      : { command: fromEnv, args: [], origin: 'KEPLER_DAEMON_BIN' };
  }
  const sibling = fileURLToPath(new URL(WORKSPACE_DAEMON, packageUrl));
  if (existsSync(sibling)) {
    return { command: process.execPath, args: [...DAEMON_NODE_FLAGS, sibling], origin: 'workspace' };
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'kepler-daemon');
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return { command: candidate, args: [], origin: 'PATH' };
    } catch {
      // Not here; keep looking.
    }
  }
  throw new CliError(
    'DAEMON_BINARY_NOT_FOUND',
    `Cannot find the Kepler daemon (looked for ${sibling} and kepler-daemon on PATH): build it with \`pnpm build\` or set KEPLER_DAEMON_BIN`,
  );
}

/** @throws CliError NOT_ROOT unless the CLI runs as root (the daemon checks too, this fails earlier). */
export function requireRoot(hint: string): void {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new CliError('NOT_ROOT', `The Kepler daemon must run as root: ${hint}`);
  }
}
