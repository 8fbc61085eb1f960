#!/usr/bin/env node
import { runDaemon } from './server/Daemon.js';

/**
 * `kepler-daemon [--log-file PATH]`: the root daemon, in the foreground. `kepler daemon start` runs
 * this; `-d` detaches it and passes --log-file so its output lands in `<state dir>/daemon.log`.
 */
const args = process.argv.slice(2);
let logFile: string | null = null;
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (a === '--log-file') logFile = args[++i] ?? null;
  else if (a.startsWith('--log-file=')) logFile = a.slice('--log-file='.length);
  else if (a === '--help' || a === '-h') {
    process.stdout.write('usage: kepler-daemon [--log-file PATH]\n(use `kepler daemon start [-d]`)\n');
    process.exit(0);
  } else {
    process.stderr.write(`kepler-daemon: unknown argument ${a}\n`);
    process.exit(1);
  }
}
process.exitCode = await runDaemon({ logFile });
