import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, TestDaemon, waitFor, writeScript } from '../testkit.js';

/** Generous: two cores shared with other suites. */
const T = 60_000;

const d = new TestDaemon('kepler-logs-cli');
let config: string;
let dir: string;

/** Non-empty lines of a CLI's stdout. */
const lines = (s: string): string[] => s.split('\n').filter(Boolean);
/** A text line without its time, the name's alignment padding collapsed. */
const body = (l: string): string => l.slice(l.indexOf(' ') + 1).replace(/ +\| /, ' | ');

beforeAll(async () => {
  await d.start();
  dir = join(d.workDir, 'cli');
  // ping and pong take turns through flag files, so their lines are ms apart and strictly ordered.
  writeScript(
    join(dir, 'turn.sh'),
    `#!/bin/sh
# turn.sh NAME MINE THEIRS: for i in 1..3, wait for THEIRS' previous mark, print, mark MINE.i
# (pong.0 comes from pong's pre_start hook)
i=1
while [ $i -le 3 ]; do
  prev=$i; [ "$1" = ping ] && prev=$((i-1))
  while [ ! -e "$3.$prev" ]; do sleep 0.02; done
  echo "$1-$i"
  sleep 0.01
  touch "$2.$i"
  i=$((i+1))
done
exec sleep 300
`,
  );
  config = d.writeConfig(
    `kepler:
  logs:
    retention: { on_stop: retain }
services:
  ping:
    command: ["./turn.sh", "ping", "${dir}/ping", "${dir}/pong"]
  pong:
    command: ["./turn.sh", "pong", "${dir}/pong", "${dir}/ping"]
    hooks:
      pre_start:
        run: echo hooked; touch ${dir}/pong.0
  many:
    command: ["sh", "-c", "i=1; while [ $i -le 50 ]; do echo many-$i; i=$((i+1)); done; exec sleep 300"]
`,
    'cli/kepler.yaml',
  );
  expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
  await waitFor(
    async () => lines((await d.cli(['logs', '--raw', '-f', config])).stdout).length >= 57,
    'all output',
  );
}, T);
afterAll(() => d.cleanup(), T);

describe('kepler logs', () => {
  test(
    'merges services by time as `<time> <service>[.<hook>] | <line>`',
    async () => {
      const r = await d.cli(['logs', '-f', config, 'ping', 'pong']);
      expect(r.code).toBe(0);
      const out = lines(r.stdout);
      for (const l of out) expect(l).toMatch(/^\d\d:\d\d:\d\d\.\d{3} (ping|pong(\.pre_start)?) +\| /);
      expect(out.map(body)).toEqual([
        'pong.pre_start | hooked',
        'ping | ping-1',
        'pong | pong-1',
        'ping | ping-2',
        'pong | pong-2',
        'ping | ping-3',
        'pong | pong-3',
      ]);
    },
    T,
  );

  test(
    'every stored line without --head/--tail; --head N and --tail N',
    async () => {
      const all = lines((await d.cli(['logs', '--raw', '-f', config, 'many'])).stdout);
      expect(all).toEqual(Array.from({ length: 50 }, (_, i) => `many-${i + 1}`));
      const head = lines((await d.cli(['logs', '--raw', '--head', '3', '-f', config, 'many'])).stdout);
      expect(head).toEqual(['many-1', 'many-2', 'many-3']);
      const tail = lines((await d.cli(['logs', '--raw', '--tail', '2', '-f', config, 'many'])).stdout);
      expect(tail).toEqual(['many-49', 'many-50']);
      // all services, no selection: 50 + 6 + 1 hook line
      expect(lines((await d.cli(['logs', '-f', config])).stdout)).toHaveLength(57);
    },
    T,
  );

  test(
    '--no-hook hides hook output',
    async () => {
      const withHooks = (await d.cli(['logs', '-f', config, 'pong'])).stdout;
      expect(lines(withHooks).map(body)).toContain('pong.pre_start | hooked');
      const noHook = lines((await d.cli(['logs', '--no-hook', '-f', config, 'pong'])).stdout);
      expect(noHook.map(body)).toEqual(['pong | pong-1', 'pong | pong-2', 'pong | pong-3']);
    },
    T,
  );

  test(
    '--json prints ts, service, hook, stream and line',
    async () => {
      const r = await d.cli(['logs', '--json', '-f', config, 'pong']);
      const objs = lines(r.stdout).map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(objs[0]).toEqual({
        ts: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        service: 'pong',
        hook: 'pre_start',
        stream: 'stdout',
        line: 'hooked',
      });
      expect(objs[1]).toEqual({ ts: expect.any(String), service: 'pong', stream: 'stdout', line: 'pong-1' });
      expect(Date.parse(objs[1]!.ts as string)).toBeGreaterThanOrEqual(Date.parse(objs[0]!.ts as string));
    },
    T,
  );

  test(
    '--raw prints only the lines',
    async () => {
      const r = await d.cli(['logs', '--raw', '-f', config, 'ping']);
      expect(r.stdout).toBe('ping-1\nping-2\nping-3\n');
    },
    T,
  );
});

describe('kepler logs --follow', () => {
  let followConfig: string;
  let go: string;
  beforeAll(async () => {
    go = join(dir, 'go');
    writeScript(
      join(dir, 'feed.sh'),
      `#!/bin/sh
i=1; while [ $i -le 30 ]; do echo old-$i; i=$((i+1)); done
while :; do
  if [ -e "$GO" ]; then rm -f "$GO"; echo new-$i; i=$((i+1)); fi
  sleep 0.02
done
`,
    );
    followConfig = d.writeConfig(
      `services:\n  feed:\n    command: ["./feed.sh"]\n    environment: [GO=${go}]\n`,
      'cli/follow.kepler.yaml',
    );
    expect((await d.cli(['start', '-d', '-f', followConfig])).code).toBe(0);
    await waitFor(
      async () => (await d.cli(['logs', '--raw', '-f', followConfig])).stdout.includes('old-30'),
      'the old lines',
    );
  }, T);

  function follow(args: string[]): {
    child: ChildProcess;
    out: () => string;
    err: () => string;
    exit: Promise<number | null>;
  } {
    const child = spawn(process.execPath, [CLI, 'logs', '--follow', '--raw', '-f', followConfig, ...args], {
      env: { ...process.env, ...d.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (b) => {
      out += b;
    });
    child.stderr!.on('data', (b) => {
      err += b;
    });
    const exit = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    return { child, out: () => out, err: () => err, exit };
  }

  test(
    'prints the last 10 lines, then new ones as they arrive; SIGINT exits 0',
    async () => {
      const f = follow([]);
      try {
        await waitFor(() => lines(f.out()).length >= 10, 'the last 10 lines');
        expect(lines(f.out())).toEqual(Array.from({ length: 10 }, (_, i) => `old-${i + 21}`));
        writeFileSync(go, '');
        await waitFor(() => f.out().includes('new-31\n'), 'a new line streamed');
        writeFileSync(go, '');
        await waitFor(() => f.out().includes('new-32\n'), 'another new line streamed');
        f.child.kill('SIGINT');
        expect(await f.exit).toBe(0);
        expect(f.err()).toBe('');
      } finally {
        f.child.kill('SIGKILL');
      }
    },
    T,
  );

  test(
    '--tail N sets how many old lines come first',
    async () => {
      const expected = lines((await d.cli(['logs', '--raw', '--tail', '3', '-f', followConfig])).stdout);
      expect(expected).toHaveLength(3);
      const f = follow(['--tail', '3']);
      try {
        await waitFor(() => lines(f.out()).length >= 3, 'three lines');
        writeFileSync(go, '');
        await waitFor(() => lines(f.out()).length >= 4, 'a new line');
        const got = lines(f.out());
        expect(got.slice(0, 3)).toEqual(expected);
        expect(got[3]).toMatch(/^new-\d+$/);
        expect(got[3]).not.toBe(expected[2]);
        f.child.kill('SIGINT');
        expect(await f.exit).toBe(0);
      } finally {
        f.child.kill('SIGKILL');
      }
    },
    T,
  );

  test(
    '`kepler logs --follow | head -1` exits cleanly',
    async () => {
      const script = `set -o pipefail; "${process.execPath}" "${CLI}" logs --follow --raw -f "${followConfig}" | head -1`;
      const child = spawn('bash', ['-c', script], {
        env: { ...process.env, ...d.env, NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (b) => {
        out += b;
      });
      child.stderr.on('data', (b) => {
        err += b;
      });
      // head exits after one line; the next line written to the closed pipe must end the CLI
      await waitFor(() => out.length > 0, 'the first line');
      writeFileSync(go, '');
      const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
      expect(lines(out)).toHaveLength(1);
      expect(err).toBe('');
      expect(code).toBe(0);
    },
    T,
  );
});

describe('logs.timestamp', () => {
  test(
    'a service with `timestamp: false` shows no time in text output; --timestamps and --json still have it',
    async () => {
      const cfg = d.writeConfig(
        `services:
  loud:
    command: ["sh", "-c", "echo loud-line; exec sleep 300"]
  quiet:
    command: ["sh", "-c", "echo quiet-line; exec sleep 300"]
    logs:
      timestamp: false
`,
        'ts/kepler.yaml',
      );
      expect((await d.cli(['start', '-d', '-f', cfg])).code).toBe(0);
      const out = await waitFor(async () => {
        const r = await d.cli(['logs', '-f', cfg]);
        return lines(r.stdout).length >= 2 ? lines(r.stdout) : null;
      }, 'both lines');
      expect(out.find((l) => l.includes('loud-line'))).toMatch(/^\d\d:\d\d:\d\d\.\d{3} loud +\| loud-line$/);
      expect(out.find((l) => l.includes('quiet-line'))).toMatch(/^quiet +\| quiet-line$/);
      const forced = lines((await d.cli(['logs', '--timestamps', 'quiet', '-f', cfg])).stdout);
      expect(forced).toEqual([expect.stringMatching(/^\d\d:\d\d:\d\d\.\d{3} quiet \| quiet-line$/)]);
      const hidden = lines((await d.cli(['logs', '--no-timestamps', 'loud', '-f', cfg])).stdout);
      expect(hidden).toEqual(['loud | loud-line']);
      const json = lines((await d.cli(['logs', '--json', 'quiet', '-f', cfg])).stdout).map((l) =>
        JSON.parse(l),
      );
      expect(json[0]).toMatchObject({ service: 'quiet', line: 'quiet-line', ts: expect.any(String) });
      expect((await d.cli(['stop', '-f', cfg])).code).toBe(0);
    },
    T,
  );
});
