#!/usr/bin/env node
/**
 * The `kepler` executable. Runs the CLI and exits with its code once stdout and stderr are flushed
 * (an unref'd detached daemon or a stray timer must not keep the CLI alive). Imports nothing else up
 * front: `--version` answers here, every other call loads only what its command needs (see `dispatch.ts`).
 */
import { CLI_VERSION } from './version.js';

// `kepler logs | head -1`: the reader went away, which is not an error for us.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const argv = process.argv.slice(2);
let code = 0;
if (argv.length === 1 && argv[0] === '--version') {
  // What the full CLI's `--version` prints; `kepler --version -v` and the like still go through it.
  process.stdout.write(`kepler ${CLI_VERSION}\n`);
} else {
  const { dispatchCli } = await import('./dispatch.js');
  code = await dispatchCli(argv);
}
process.exitCode = code;
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
