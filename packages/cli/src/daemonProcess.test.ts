import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { socketPath } from '@kepler/protocol';
import {
  DAEMON_NODE_FLAGS,
  locateDaemon,
  processExists,
  startDaemonDetached,
  tailFile,
} from './daemonProcess.js';
import { CliError } from './errors.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kepler-daemonproc-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, body);
  return path;
}

describe('locateDaemon', () => {
  it('runs a .js KEPLER_DAEMON_BIN with this Node, and executes anything else', () => {
    const js = script('d.js', '');
    expect(locateDaemon({ KEPLER_DAEMON_BIN: js })).toEqual({
      command: process.execPath,
      args: [...DAEMON_NODE_FLAGS, js],
      origin: 'KEPLER_DAEMON_BIN',
    });
    const bin = script('kd', '#!/bin/sh\n');
    expect(locateDaemon({ KEPLER_DAEMON_BIN: bin })).toEqual({
      command: bin,
      args: [],
      origin: 'KEPLER_DAEMON_BIN',
    });
  });

  it('refuses a KEPLER_DAEMON_BIN that does not exist', () => {
    expect(() => locateDaemon({ KEPLER_DAEMON_BIN: join(dir, 'nope.js') })).toThrow(
      /KEPLER_DAEMON_BIN points to .*nope\.js/,
    );
  });

  it('finds ../../daemon/dist/main.js next to the CLI build', () => {
    mkdirSync(join(dir, 'cli/dist'), { recursive: true });
    mkdirSync(join(dir, 'daemon/dist'), { recursive: true });
    const main = script('daemon/dist/main.js', '');
    const base = pathToFileURL(join(dir, 'cli/dist/daemonProcess.js')).href;
    expect(locateDaemon({ PATH: '' }, base)).toEqual({
      command: process.execPath,
      args: [...DAEMON_NODE_FLAGS, main],
      origin: 'workspace',
    });
  });

  it('falls back to an executable kepler-daemon on PATH, then fails with a hint', () => {
    const base = pathToFileURL(join(dir, 'cli/dist/daemonProcess.js')).href;
    expect(() => locateDaemon({ PATH: dir }, base)).toThrow(CliError);
    expect(() => locateDaemon({ PATH: dir }, base)).toThrow(/KEPLER_DAEMON_BIN/);
    const bin = script('kepler-daemon', '#!/bin/sh\n');
    chmodSync(bin, 0o755);
    expect(locateDaemon({ PATH: `/nonexistent:${dir}` }, base)).toEqual({
      command: bin,
      args: [],
      origin: 'PATH',
    });
  });
});

describe('tailFile', () => {
  it('returns the last lines after an offset', () => {
    const path = script('log', 'old\na\nb\nc\n');
    expect(tailFile(path, 2)).toEqual(['b', 'c']);
    expect(tailFile(path, 10, 4)).toEqual(['a', 'b', 'c']);
    expect(tailFile(join(dir, 'missing'), 5)).toEqual([]);
  });
});

describe('processExists', () => {
  it('is true for this process and false for a pid that cannot exist', () => {
    expect(processExists(process.pid)).toBe(true);
    expect(processExists(2 ** 22 + 1)).toBe(false);
  });

  it('is false for a zombie (exited, not yet reaped by its parent)', () => {
    const child = spawn('true', [], { stdio: 'ignore' });
    const pid = child.pid as number;
    // Spin without yielding: Node reaps children from its event loop, so the exited child stays a zombie.
    const deadline = Date.now() + 5000;
    let state = '';
    while (state !== 'Z' && Date.now() < deadline) {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      state = stat[stat.lastIndexOf(')') + 2] ?? '';
    }
    expect(state).toBe('Z');
    expect(processExists(pid)).toBe(false);
  });
});

describe('startDaemonDetached', () => {
  it('fails with the reason and the output of a daemon that exits at once (no state dir yet)', async () => {
    const bin = script('fail.js', "process.stderr.write('cannot bind: boom\\n'); process.exit(3);\n");
    const stateDir = join(dir, 'state');
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
    const stateDir = join(dir, 'state');
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
    const stateDir = join(dir, 'state');
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
