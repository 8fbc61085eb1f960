/**
 * The words docker compose users type, against a real daemon: `logs -n N`, `logs --since/--until`
 * (windows relative to the stored times of known lines, read with `logs --json`), `logs --follow
 * --since`, `logs -f NAME` that names no file, `status` and `ps -a`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, TestDaemon, waitFor, writeScript } from '../testkit.js';

/** Generous: two cores shared with other suites. */
const T = 60_000;

const d = new TestDaemon('kepler-words');
let config: string;
let dir: string;
let go: string;
/** The stored time (ISO) of line-1 .. line-10, by line. */
const stamp: Record<string, string> = {};

const lines = (s: string): string[] => s.split('\n').filter(Boolean);

beforeAll(async () => {
  await d.start();
  dir = join(d.workDir, 'words');
  go = join(dir, 'go');
  // Ten lines 20 ms apart (distinct stored times), then one line per touch of $GO.
  writeScript(
    join(dir, 'count.sh'),
    `#!/bin/sh
i=1; while [ $i -le 10 ]; do echo line-$i; sleep 0.02; i=$((i+1)); done
while :; do
  if [ -e "$GO" ]; then rm -f "$GO"; echo live-$i; i=$((i+1)); fi
  sleep 0.02
done
`,
  );
  config = d.writeConfig(
    `services:\n  count:\n    command: ["./count.sh"]\n    environment: [GO=${go}]\n  idle:\n    command: ["sleep", "300"]\n`,
    'words/kepler.yaml',
  );
  expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
  const stored = await waitFor(async () => {
    const r = await d.cli(['logs', '--json', '-f', config, 'count']);
    const objs = lines(r.stdout).map((l) => JSON.parse(l) as { ts: string; line: string });
    return objs.length >= 10 ? objs : null;
  }, 'ten stored lines');
  for (const o of stored) stamp[o.line] = o.ts;
  const times = stored.map((o) => Date.parse(o.ts));
  // The windows below rely on distinct times.
  for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThan(times[i - 1] as number);
}, T);
afterAll(() => d.cleanup(), T);

/** `kepler logs --raw ARGS count`: the lines. */
async function logs(...args: string[]): Promise<string[]> {
  const r = await d.cli(['logs', '--raw', ...args, '-f', config, 'count']);
  expect(r).toMatchObject({ code: 0, stderr: '' });
  return lines(r.stdout);
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `line-${from + i}`);

describe('kepler logs -n, --since, --until', () => {
  test(
    '-n N is --tail N',
    async () => {
      expect(await logs('-n', '2')).toEqual(range(9, 10));
      expect(await logs('-n', '2')).toEqual(await logs('--tail', '2'));
      expect(await logs('-n', '3', '--no-hook')).toEqual(range(8, 10));
    },
    T,
  );

  test(
    'windows by stored timestamps: both ends included',
    async () => {
      expect(await logs('--since', stamp['line-4'] as string)).toEqual(range(4, 10));
      expect(await logs('--until', stamp['line-3'] as string)).toEqual(range(1, 3));
      expect(await logs('--since', stamp['line-3'] as string, '--until', stamp['line-6'] as string)).toEqual(
        range(3, 6),
      );
      // One ms after line-3 and before line-6: lines 4 and 5.
      const after3 = new Date(Date.parse(stamp['line-3'] as string) + 1).toISOString();
      const before6 = new Date(Date.parse(stamp['line-6'] as string) - 1).toISOString();
      expect(await logs('--since', after3, '--until', before6)).toEqual(range(4, 5));
      // The same instant with an offset, and as Unix seconds.
      const t = new Date(stamp['line-5'] as string);
      const plus2 = new Date(t.getTime() + 2 * 3_600_000).toISOString().replace('Z', '+02:00');
      expect(await logs('--since', plus2)).toEqual(range(5, 10));
      expect(await logs('--since', String(t.getTime() / 1000))).toEqual(range(5, 10));
    },
    T,
  );

  test(
    '--tail and --head count within the window',
    async () => {
      const window = ['--since', stamp['line-3'] as string, '--until', stamp['line-7'] as string];
      expect(await logs('-n', '2', ...window)).toEqual(range(6, 7));
      expect(await logs('--head', '2', ...window)).toEqual(range(3, 4));
      expect(await logs('-n', '20', ...window)).toEqual(range(3, 7));
    },
    T,
  );

  test(
    'relative durations count back from now',
    async () => {
      expect(await logs('--since', '1h')).toEqual(range(1, 10));
      expect(await logs('--until', '1h')).toEqual([]);
      expect(await logs('--since', '2h', '--until', '1h')).toEqual([]);
    },
    T,
  );

  test(
    'a bad time or window is a usage error',
    async () => {
      const bad = await d.cli(['logs', '--since', 'soon', '-f', config]);
      expect(bad).toMatchObject({ code: 1, stdout: '' });
      expect(bad.stderr).toMatch(/^--since: "soon" is not a time \(use a duration such as 10m/);
      const follow = await d.cli(['logs', '--follow', '--until', '1m', '-f', config]);
      expect(follow).toMatchObject({
        code: 1,
        stderr: '--until cannot be used with --follow (new lines are never before it)\n',
      });
    },
    T,
  );
});

describe('kepler logs --follow --since', () => {
  function follow(args: string[]): { child: ChildProcess; out: () => string; exit: Promise<number | null> } {
    const child = spawn(
      process.execPath,
      [CLI, 'logs', '--follow', '--raw', '-f', config, ...args, 'count'],
      {
        env: { ...process.env, ...d.env, NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout?.on('data', (b) => {
      out += b;
    });
    const exit = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    return { child, out: () => out, exit };
  }

  test(
    'prints every stored line of the window (not only 10), then live ones',
    async () => {
      const all = await logs();
      const f = follow(['--since', stamp['line-2'] as string]);
      try {
        await waitFor(() => lines(f.out()).length >= all.length - 1, 'the stored lines of the window');
        expect(lines(f.out())).toEqual(all.slice(1));
        writeFileSync(go, '');
        await waitFor(() => /\nlive-\d+\n$/.test(f.out()), 'a live line');
        expect(lines(f.out())).toHaveLength(all.length);
        f.child.kill('SIGINT');
        expect(await f.exit).toBe(0);
      } finally {
        f.child.kill('SIGKILL');
      }
    },
    T,
  );
});

describe('kepler logs -f NAME', () => {
  test(
    'says that -f is --file and following is --follow when NAME is not a file',
    async () => {
      const r = await d.cli(['logs', '-f', 'count'], { cwd: dir });
      expect(r).toEqual({
        code: 1,
        stdout: '',
        stderr: `config file not found: ${join(dir, 'count')}; -f is --file (the config file): to follow logs, use --follow\n`,
      });
    },
    T,
  );
});

describe('kepler status and ps -a', () => {
  test(
    'status prints what ps prints, with the same flags',
    async () => {
      const ps = await d.cli(['ps', '--json', '-f', config]);
      const status = await d.cli(['status', '--json', '-f', config]);
      expect(status).toEqual(ps);
      expect(JSON.parse(status.stdout).map((s: { name: string }) => s.name)).toEqual(['count', 'idle']);
      const table = await d.cli(['status', 'idle'], { cwd: dir });
      expect(table.code).toBe(0);
      expect(lines(table.stdout)[0]).toBe(lines((await d.cli(['ps', 'idle'], { cwd: dir })).stdout)[0]);
      expect(lines(table.stdout)[1]).toMatch(/^idle +running /);
    },
    T,
  );

  test(
    'ps -a is ps --all: every loaded config, with a CONFIG column',
    async () => {
      const other = d.writeConfig('services:\n  other:\n    command: ["sleep", "300"]\n', 'words/other.yaml');
      expect((await d.cli(['start', '-d', '-f', other])).code).toBe(0);
      const short = await d.cli(['ps', '-a', '--json']);
      expect(short.code).toBe(0);
      expect(short).toEqual(await d.cli(['ps', '--all', '--json']));
      const names = JSON.parse(short.stdout).map((s: { config: string; name: string }) => [s.config, s.name]);
      expect(names).toEqual(
        expect.arrayContaining([
          [config, 'count'],
          [config, 'idle'],
          [other, 'other'],
        ]),
      );
      const table = await d.cli(['status', '-a']);
      expect(lines(table.stdout)[0]).toMatch(/^CONFIG +NAME +STATUS/);
    },
    T,
  );
});
