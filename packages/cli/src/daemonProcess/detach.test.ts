import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { socketPath } from '@kepler/protocol';
import { CliError } from '../errors.js';
import { useScratchDir } from '../testkit/scratchDir.js';
import { startDaemonDetached, tailFile } from './detach.js';

const scratch = useScratchDir('kepler-daemonproc-');
const script = (name: string, body: string): string => scratch.file(name, body);

describe('tailFile', () => {
  it('returns the last lines after an offset', () => {
    const path = script('log', 'old\na\nb\nc\n');
    expect(tailFile(path, 2)).toEqual(['b', 'c']);
    expect(tailFile(path, 10, 4)).toEqual(['a', 'b', 'c']);
    expect(tailFile(join(scratch.path, 'missing'), 5)).toEqual([]);
  });
});

describe('startDaemonDetached', () => {
  it('fails with the reason and the output of a daemon that exits at once (no state dir yet)', async () => {
    const bin = script('fail.js', "process.stderr.write('cannot bind: boom\\n'); process.exit(3);\n");
    const stateDir = join(scratch.path, 'state');
    const start = startDaemonDetached({
      daemon: { command: process.execPath, args: [bin], origin: 'KEPLER_DAEMON_BIN' },
      stateDir,
      socket: socketPath(stateDir),
    });
    await expect(start).rejects.toThrow(
      /failed to start: the process exited with code 3\n.*\n {2}cannot bind: boom$/,
    );
    // The CLI must not create the state directory: the daemon does, with its own modes.
    expect(existsSync(stateDir)).toBe(false);
  });

  it('appends early output to daemon.log and shows only this attempt when the state dir exists', async () => {
    const stateDir = join(scratch.path, 'state');
    mkdirSync(stateDir);
    writeFileSync(join(stateDir, 'daemon.log'), 'line from an earlier run\n');
    const bin = script('fail.js', "console.error('second daemon refused'); process.exit(1);\n");
    const start = startDaemonDetached({
      daemon: { command: process.execPath, args: [bin], origin: 'KEPLER_DAEMON_BIN' },
      stateDir,
      socket: socketPath(stateDir),
    });
    const error = await start.catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(CliError);
    expect((error as Error).message).toContain('second daemon refused');
    expect((error as Error).message).not.toContain('earlier run');
    expect(readFileSync(join(stateDir, 'daemon.log'), 'utf8')).toBe(
      'line from an earlier run\nsecond daemon refused\n',
    );
  });

  it('passes --log-file and gives up after the deadline when nothing answers', async () => {
    const stateDir = join(scratch.path, 'state');
    mkdirSync(stateDir);
    const bin = script(
      'mute.js',
      "console.log('args', JSON.stringify(process.argv.slice(2))); setInterval(() => {}, 1000);\n",
    );
    const error = await startDaemonDetached({
      daemon: { command: process.execPath, args: [bin], origin: 'KEPLER_DAEMON_BIN' },
      stateDir,
      socket: socketPath(stateDir),
      timeoutMs: 300,
    }).catch((e: unknown) => e as Error);
    const pid = Number(/pid (\d+) may still be starting/.exec((error as Error).message)?.[1]);
    try {
      expect((error as Error).message).toMatch(/no answer on .*kepler\.sock within 0.3s/);
      expect((error as Error).message).toContain(`args ["--log-file","${join(stateDir, 'daemon.log')}"]`);
    } finally {
      if (pid > 0) process.kill(pid, 'SIGKILL');
    }
  });
});
