import { mkdirSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaemonDir, START_LOCK_STALE_MS } from './DaemonDir.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'kepler-daemondir-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('DaemonDir.lockStart (two daemons started at once)', () => {
  it('lets one daemon claim the directory at a time', () => {
    const dir = new DaemonDir(root);
    const release = dir.lockStart();
    expect(() => new DaemonDir(root).lockStart()).toThrow(`another Kepler daemon is starting on ${root}`);
    release();
    new DaemonDir(root).lockStart()();
  });

  it('takes over a lock left by a daemon killed while starting', () => {
    const dir = new DaemonDir(root);
    mkdirSync(dir.startLock);
    const old = (Date.now() - START_LOCK_STALE_MS - 1000) / 1000;
    utimesSync(dir.startLock, old, old);
    const release = dir.lockStart();
    expect(() => dir.lockStart()).toThrow(/is starting/);
    release();
  });
});
