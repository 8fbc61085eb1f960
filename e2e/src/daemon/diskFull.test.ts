// Issue 9, defects 7 and 8: the state directory on a full filesystem. The configs directory is a small
// tmpfs this test mounts (as root); daemon.log (here the daemon's stderr), the socket and the pid file
// stay on the ordinary disk, as they would when only /var/lib/kepler/configs fills up.
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { PY, TestDaemon, waitFor, writeScript } from '../testkit.js';

/** Generous: two cores shared with other suites. */
const T = 60_000;

const d = new TestDaemon('kepler-e2e-diskfull');
const configsDir = join(d.stateDir, 'configs');
const FILLER = join(configsDir, 'filler');
let mounted = false;

beforeAll(async () => {
  mkdirSync(configsDir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', configsDir]);
  mounted = true;
  await d.start();
}, T);

afterAll(async () => {
  // The daemon first (it and its services hold files on the mount), then the mount, whatever happened:
  // a daemon that does not stop is killed, and so are the services it leaves behind.
  try {
    freeDisk();
    const proc = d.proc;
    if (proc && proc.exitCode === null) {
      await d.cli(['daemon', 'stop'], { timeoutMs: 20_000 }).catch(() => undefined);
      if (proc.exitCode === null) {
        await d.crash();
        killServicesOf(d.stateDir);
      }
    }
  } finally {
    if (mounted) {
      try {
        execFileSync('umount', [configsDir]);
      } catch {
        execFileSync('umount', ['-l', configsDir]);
      }
    }
    await d.cleanup();
  }
}, T);

/** SIGKILLs the processes whose working files are in `stateDir` (services of a killed daemon). */
function killServicesOf(stateDir: string): void {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const fds = readdirSync(`/proc/${pid}/fd`).map((fd) => {
        try {
          return readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          return '';
        }
      });
      if (fds.some((f) => f.startsWith(stateDir))) process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone, or not ours to read
    }
  }
}

/** Fills the tmpfs: every page taken, so a new file cannot get its first block. */
function fillDisk(): void {
  const fd = openSync(FILLER, 'a');
  try {
    for (const size of [256 * 1024, 4096, 1]) {
      const chunk = Buffer.alloc(size, 0x78);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
      }
    }
  } finally {
    closeSync(fd);
  }
}

function freeDisk(): void {
  rmSync(FILLER, { force: true });
}

describe('a full disk', () => {
  afterEach(freeDisk);

  test(
    'lines that cannot be stored are counted and reported; no line is stored cut short (defect 8)',
    async () => {
      // Numbered lines of a fixed length, a few hundred a second: the full disk hits in the middle
      // of writes, and the numbers show exactly which lines are missing.
      const talker = writeScript(
        join(d.workDir, 'talker.py'),
        `#!${PY}
import sys, time
i = 0
while True:
    i += 1
    sys.stdout.write("line-%08d %s\\n" % (i, "x" * 150))
    sys.stdout.flush()
    time.sleep(0.002)
`,
      );
      const config = d.writeConfig(`services:\n  talker:\n    command: ["${talker}"]\n`, 'talk.kepler.yaml');
      const logFile = join(d.configStateDir(config), 'logs', 'talker.stdout.log');
      try {
        expect((await d.cli(['start', '-d', '--wait', '-f', config])).code).toBe(0);
        await waitFor(() => readFileSync(logFile, 'utf8').split('\n').length > 50, 'the first lines');

        fillDisk();
        await waitFor(
          async () => Number((await d.service(config, 'talker')).logs_not_stored ?? 0) > 100,
          'ps to count lines not stored',
        );
        // One report for the episode, not one per line.
        const reports = d.log
          .split('\n')
          .filter((l) => /cannot write log file \S+talker\.stdout\.log/.test(l));
        expect(reports).toHaveLength(1);
        expect(reports[0]).toMatch(/no space left on device/);

        freeDisk();
        const marker = /^\S+Z \[kepler\] (\d+) lines not stored: no space left on device$/;
        const records = await waitFor(() => {
          const lines = readFileSync(logFile, 'utf8').split('\n');
          const at = lines.findIndex((l) => marker.test(l));
          return at !== -1 && at < lines.length - 5 ? lines : null;
        }, 'the marker line once space is back');
        // `kepler logs` shows the marker as a line of the service.
        const logs = await d.cli(['logs', '--no-hook', '-f', config, 'talker']);
        expect(logs.stdout).toMatch(/\[kepler\] \d+ lines not stored: no space left on device/);

        // Every record is a whole line; the numbers missing are exactly the ones the markers count.
        const ps = await d.service(config, 'talker');
        let expected = 1;
        let dropped = 0;
        let markers = 0;
        // The last piece is '' after the final `\n`, or a record being written as the file was read.
        for (const record of records.slice(0, -1)) {
          const m = marker.exec(record);
          if (m) {
            dropped += Number(m[1]);
            markers += Number(m[1]);
            continue;
          }
          expect(record).toMatch(/^\S+Z line-\d{8} x{150}$/);
          const n = Number(record.slice(30, 38));
          expected += dropped;
          dropped = 0;
          expect(n).toBe(expected);
          expected = n + 1;
        }
        expect(ps.logs_not_stored).toBe(markers);
      } finally {
        // Stopped whatever happened (it clears its log): the next test needs the space.
        await d.cli(['stop', '-f', config]);
      }
    },
    T,
  );

  test(
    'daemon stop completes, says which writes failed, and a stopped service stays stopped (defect 7)',
    async () => {
      const config = d.writeConfig(
        [
          'services:',
          '  kept:',
          '    command: ["sleep", "1000"]',
          '    restart: always',
          '  other:',
          '    command: ["sleep", "1000"]',
          '    restart: always',
          '',
        ].join('\n'),
        'stop.kepler.yaml',
      );
      expect((await d.cli(['start', '-d', '--wait', '-f', config])).code).toBe(0);
      await d.waitStatus(config, 'kept', 'running');
      await d.waitStatus(config, 'other', 'running');

      fillDisk();
      // While the disk is full: a stop works and ps answers.
      expect((await d.cli(['stop', '-f', config, 'kept'], { timeoutMs: 15_000 })).code).toBe(0);
      expect((await d.service(config, 'kept')).status).toBe('stopped');
      expect((await d.service(config, 'other')).status).toBe('running');

      const proc = d.proc;
      const stop = await d.cli(['daemon', 'stop'], { timeoutMs: 20_000 });
      expect(stop.code).toBe(0);
      await waitFor(() => proc?.exitCode !== null, 'the daemon to exit');
      expect(d.log).toMatch(/cannot write \S+state\.json: .*no space left on device/);

      // Restarted on the still-full disk: what the user asked for holds.
      await d.start();
      expect((await d.service(config, 'kept')).status).toBe('stopped');
      expect((await d.service(config, 'other')).status).toBe('stopped');
      freeDisk();
    },
    T,
  );
});
