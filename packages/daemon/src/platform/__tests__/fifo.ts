import { execFileSync } from 'node:child_process';
import { constants, openSync } from 'node:fs';

// Test-only FIFOs (services write to output files now: outputFile.ts): the spawner tests give a child
// a pipe-like stdout through the fork server, which takes fds, with these.

export function createFifo(path: string): void {
  execFileSync('mkfifo', ['-m', '0600', '--', path]);
}

/** O_RDWR: the child also holds a reader, so its writes never fail while the test reads nothing. */
export function openFifoForChild(path: string): number {
  return openSync(path, constants.O_RDWR);
}

export { openFifoReader } from '../legacyFifo.js';
