/**
 * Logs larger than anything that fits in one message or one socket buffer: `kepler logs` prints every
 * stored line of a log bigger than the daemon's per-client backlog cap (64 MiB), also to a reader that
 * does not read for a while; a line longer than a protocol frame is stored and shown in pieces, and the
 * lines around it are not lost; `--follow` ends with exit 0 when the daemon stops.
 */
import { spawn } from 'node:child_process';
import { CLI, TestDaemon, waitFor } from '../testkit.js';

const T = 120_000;
const d = new TestDaemon('kepler-logs-large');
beforeAll(() => d.start(), T);
afterAll(() => d.cleanup(), T);

/** Runs `kepler <args> | <consumer>` in bash; resolves with the consumer's output and the CLI's exit code. */
function pipeTo(args: string[], consumer: string): Promise<{ out: string; cliCode: number }> {
  const cli = [process.execPath, CLI, ...args].map((a) => `'${a}'`).join(' ');
  const child = spawn('bash', ['-c', `${cli} | ${consumer}; exit \${PIPESTATUS[0]}`], {
    env: { ...process.env, ...d.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (c) => {
    out += c;
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ out, cliCode: code ?? -1 })));
}

/** `kepler logs --follow --raw` as a child process, with its output collected. */
function followLogs(config: string): {
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
} {
  const child = spawn(process.execPath, [CLI, 'logs', '--follow', '--raw', '-f', config], {
    env: { ...process.env, ...d.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => {
    out += c;
  });
  child.stderr.on('data', (c) => {
    err += c;
  });
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return { out: () => out, err: () => err, exited };
}

const LINES = 800_000; // x ~100 bytes: ~80 MB stored, more than the 64 MiB a client may fall behind

test(
  'every line of a log larger than the per-client backlog, to a fast and to a stalled reader',
  async () => {
    const config = d.writeConfig(
      `services:
  big:
    command: ["sh", "-c", "seq -f 'line-%08.0f-${'x'.repeat(80)}' 1 ${LINES}"]
    logs:
      retention: { on_exit: retain, on_stop: retain }
`,
      'big/kepler.yaml',
    );
    expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
    await d.waitStatus(config, 'big', 'exited', 60_000);

    const fast = await pipeTo(['logs', '--raw', '-f', config], 'wc -l; tail -1 2>/dev/null');
    expect(fast.cliCode).toBe(0);
    expect(fast.out.trim()).toBe(String(LINES));

    // A reader that sits still first (a pager, a paused terminal): the daemon waits for it.
    const stalled = await pipeTo(['logs', '--raw', '-f', config], '(sleep 3; tail -1)');
    expect(stalled.cliCode).toBe(0);
    expect(stalled.out).toBe(`line-${String(LINES).padStart(8, '0')}-${'x'.repeat(80)}\n`);
    expect(d.proc?.exitCode).toBeNull();
  },
  T,
);

test(
  'a line longer than a protocol frame is shown in 4 MiB pieces and its neighbours are kept',
  async () => {
    const config = d.writeConfig(
      `services:
  wide:
    command: ["sh", "-c", "echo before; head -c 20000000 /dev/zero | tr '\\\\0' a; echo; echo after"]
    logs:
      retention: { on_exit: retain }
`,
      'wide/kepler.yaml',
    );
    expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
    await d.waitStatus(config, 'wide', 'exited', 60_000);
    const all = await pipeTo(['logs', '--raw', '-f', config], "awk '{ print length($0) }'");
    expect(all.cliCode).toBe(0);
    const sizes = all.out.trim().split('\n').map(Number);
    // before, 4 pieces of 4 MiB and the rest of the 20,000,000 bytes, after
    expect(sizes).toEqual([6, 4194304, 4194304, 4194304, 4194304, 3222784, 5]);
    const tail = await d.cli(['logs', '--raw', '--tail', '1', '-f', config]);
    expect(tail.stdout).toBe('after\n');
  },
  T,
);

test(
  '`logs --follow` ends with exit 0 when the daemon stops (command or SIGTERM), and with exit 2 and a message when it crashes',
  async () => {
    const config = d.writeConfig(
      'services:\n  tick:\n    command: ["sh", "-c", "while :; do echo tick; sleep 0.1; done"]\n',
      'tick/kepler.yaml',
    );
    expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
    const first = followLogs(config);
    await waitFor(() => first.out().includes('tick'), 'the follow to stream');
    await d.stop();
    expect(await first.exited).toBe(0);
    expect(first.err()).toBe('');

    // The same when the daemon is told to stop by a signal (systemctl stop).
    await d.start();
    expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
    const signalled = followLogs(config);
    await waitFor(() => signalled.out().includes('tick'), 'the follow to stream again');
    const daemon = d.proc!;
    const daemonGone = new Promise((r) => daemon.once('exit', r));
    daemon.kill('SIGTERM');
    expect(await signalled.exited).toBe(0);
    expect(signalled.err()).toBe('');
    await daemonGone;

    await d.start();
    expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
    const again = followLogs(config);
    await waitFor(() => again.out().includes('tick'), 'the second follow to stream');
    await d.crash();
    expect(await again.exited).toBe(2);
    expect(again.err()).toMatch(/^Lost the connection to the daemon/);
    await d.start();
    await d.cli(['stop', '-f', config]);
  },
  T,
);
