#!/usr/bin/env node
/**
 * The `kepler` executable. Runs the CLI and exits with its code once stdout and stderr are flushed
 * (an unref'd detached daemon or a stray timer must not keep the CLI alive).
 */
import { runCli } from './cli.js';

// `kepler logs | head -1`: the reader went away, which is not an error for us.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const code = await runCli(process.argv.slice(2));
process.exitCode = code;
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
