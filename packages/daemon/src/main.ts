#!/usr/bin/env -S node --max-semi-space-size=1
// The daemon's Node flags, on the line that runs it as a program; `kepler daemon start` runs it with its
// own Node and the same flags (packages/cli: DAEMON_NODE_FLAGS, checked against this line). A 1 MiB
// young generation (V8's default grows to 16): the daemon's allocations are small and short-lived, and a
// grown new space stays resident. V8 reads it only when the heap is created, so the daemon cannot set it
// for itself (nor can `--semi-space-growth-factor=1` at run time: new space still grew to 8 MiB).
import { httpOptionsFrom } from './http/index.js';
import { runDaemon } from './server/Daemon.js';

/**
 * `kepler-daemon [--log-file PATH] [--http ADDR [--http-public]] [--proxy ADDR]`: the root daemon, in
 * the foreground. `kepler daemon start` runs this; `-d` detaches it and passes --log-file so its output
 * lands in `<state dir>/daemon.log`. `--http` (or $KEPLER_HTTP) also serves the HTTP API and dashboard;
 * `--proxy` (or $KEPLER_PROXY_ADDR) is where the reverse proxy for services' hostnames listens.
 */
const args = process.argv.slice(2);
let logFile: string | null = null;
let http: string | null = null;
let httpPublic = false;
let proxy: string | undefined;
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (a === '--log-file') logFile = args[++i] ?? null;
  else if (a.startsWith('--log-file=')) logFile = a.slice('--log-file='.length);
  else if (a === '--http') http = args[++i] ?? '';
  else if (a.startsWith('--http=')) http = a.slice('--http='.length);
  else if (a === '--http-public') httpPublic = true;
  else if (a === '--proxy') proxy = args[++i];
  else if (a.startsWith('--proxy=')) proxy = a.slice('--proxy='.length);
  else if (a === '--help' || a === '-h') {
    process.stdout.write(
      'usage: kepler-daemon [--log-file PATH] [--http ADDR [--http-public]] [--proxy HOST:PORT]\n(use `kepler daemon start [-d]`)\n',
    );
    process.exit(0);
  } else {
    process.stderr.write(`kepler-daemon: unknown argument ${a}\n`);
    process.exit(1);
  }
}
let httpOptions: ReturnType<typeof httpOptionsFrom>;
try {
  httpOptions = httpOptionsFrom({ http, httpPublic }, process.env);
} catch (e) {
  process.stderr.write(`kepler daemon: ${(e as Error).message}\n`);
  process.exit(1);
}
process.exitCode = await runDaemon({ logFile, http: httpOptions, ...(proxy !== undefined ? { proxy } : {}) });
