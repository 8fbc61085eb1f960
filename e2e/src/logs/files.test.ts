import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon, waitFor, writeScript } from '../testkit.js';

/** Generous: two cores shared with other suites. */
const T = 60_000;

const d = new TestDaemon('kepler-logs-files');
beforeAll(() => d.start(), T);
afterAll(() => d.cleanup(), T);

type Info = Record<string, unknown>;
const STAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /;

const waitStatus = (config: string, name: string, status: string, timeoutMs = 15_000): Promise<Info> =>
  d.waitStatus(config, name, status, timeoutMs);

function logPath(config: string, file: string): string {
  return join(d.configStateDir(config), 'logs', file);
}

/** The stored line texts of a log file (timestamps stripped). */
function stored(config: string, file: string): string[] {
  return d
    .readLogFile(config, file)
    .split('\n')
    .filter(Boolean)
    .map((l) => l.slice(25));
}

describe('log files', () => {
  test(
    'service and hook output go to their own files, every line with a timestamp',
    async () => {
      const config = d.writeConfig(
        `kepler:
  hooks:
    pre_start:
      run: echo global-hook-out
services:
  web:
    command: ["sh", "-c", "echo to-out; echo to-err >&2; exec sleep 300"]
    hooks:
      pre_start:
        run: echo hook-out; echo hook-err >&2
`,
        'files/kepler.yaml',
      );
      expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
      await waitStatus(config, 'web', 'running');
      await waitFor(() => d.readLogFile(config, 'web.stderr.log').includes('to-err'), 'stderr captured');
      const expected: Array<[string, string]> = [
        ['web.stdout.log', 'to-out'],
        ['web.stderr.log', 'to-err'],
        ['web.pre_start.stdout.log', 'hook-out'],
        ['web.pre_start.stderr.log', 'hook-err'],
        ['global.pre_start.stdout.log', 'global-hook-out'],
      ];
      for (const [file, line] of expected) {
        const text = await waitFor(() => d.readLogFile(config, file), `${file} to exist`);
        const lines = text.split('\n').filter(Boolean);
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(STAMP);
        expect(lines[0]!.slice(25)).toBe(line);
      }
      await d.cli(['stop', '-f', config]);
    },
    T,
  );

  test(
    'max_size keeps the newest lines and the file stays bounded',
    async () => {
      const config = d.writeConfig(
        `services:
  chatty:
    command: ["sh", "-c", "i=0; while [ $i -lt 3000 ]; do echo line-$i; i=$((i+1)); done; echo done; exec sleep 300"]
    logs:
      max_size: 4K
      retention: { on_stop: retain }
`,
        'maxsize/kepler.yaml',
      );
      expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
      await waitFor(() => d.readLogFile(config, 'chatty.stdout.log').endsWith(' done\n'), 'the last line');
      const size = statSync(logPath(config, 'chatty.stdout.log')).size;
      expect(size).toBeLessThanOrEqual(4096);
      expect(size).toBeGreaterThan(0);
      const lines = stored(config, 'chatty.stdout.log');
      expect(lines.at(-1)).toBe('done');
      expect(lines.at(-2)).toBe('line-2999');
      expect(lines).not.toContain('line-0');
      // what is kept is a contiguous tail of whole records
      const nums = lines.slice(0, -1).map((l) => Number(l.replace('line-', '')));
      expect(nums.every((n, i) => i === 0 || n === nums[i - 1]! + 1)).toBe(true);
      for (const l of d.readLogFile(config, 'chatty.stdout.log').split('\n').filter(Boolean))
        expect(l).toMatch(STAMP);
      await d.cli(['stop', '-f', config]);
    },
    T,
  );

  test(
    'buffer_size 0: nothing lost when the daemon is SIGKILLed right after the output',
    async () => {
      const dir = join(d.workDir, 'buffer0');
      const flag = join(dir, 'written');
      writeScript(
        join(dir, 'burst.sh'),
        `#!/bin/sh\ni=0\nwhile [ $i -lt 2000 ]; do echo burst-$i; i=$((i+1)); done\ntouch "${flag}"\nexec sleep 300\n`,
      );
      const config = d.writeConfig(
        `kepler:
  logs:
    buffer_size: 0
services:
  burst:
    command: ["./burst.sh"]
`,
        'buffer0/kepler.yaml',
      );
      expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
      await waitFor(() => existsSync(flag), 'the burst to be written');
      await d.crash();
      await d.start();
      await waitStatus(config, 'burst', 'running');
      const lines = await waitFor(() => {
        const l = stored(config, 'burst.stdout.log');
        return l.length >= 2000 ? l : null;
      }, 'all 2000 lines on disk');
      expect(lines).toEqual(Array.from({ length: 2000 }, (_, i) => `burst-${i}`));
      await d.cli(['stop', '-f', config]);
    },
    T,
  );

  test(
    'store: false stores nothing; store: {stdout: false} keeps stderr only',
    async () => {
      const cmd = '["sh", "-c", "echo out; echo err >&2; exec sleep 300"]';
      const config = d.writeConfig(
        `services:
  none:
    command: ${cmd}
    logs: { store: false }
  erronly:
    command: ${cmd}
    logs:
      store: { stdout: false }
  both:
    command: ${cmd}
`,
        'store/kepler.yaml',
      );
      expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
      await waitFor(() => d.readLogFile(config, 'erronly.stderr.log').includes('err'), 'erronly stderr');
      await waitFor(() => d.readLogFile(config, 'both.stdout.log').includes('out'), 'both stdout');
      await waitFor(() => d.readLogFile(config, 'both.stderr.log').includes('err'), 'both stderr');
      expect(d.readLogFile(config, 'erronly.stdout.log')).toBe('');
      expect(d.readLogFile(config, 'none.stdout.log')).toBe('');
      expect(d.readLogFile(config, 'none.stderr.log')).toBe('');
      const r = await d.cli(['logs', '--raw', '-f', config]);
      expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual(['err', 'err', 'out']);
      await d.cli(['stop', '-f', config]);
    },
    T,
  );

  test(
    'odd output is kept: no trailing newline at exit, a 1 MiB line, invalid UTF-8, carriage returns',
    async () => {
      const dir = join(d.workDir, 'odd');
      writeScript(
        join(dir, 'odd.sh'),
        `#!/bin/sh
printf 'cr\\rinside\\r\\n'
printf 'bad\\377\\376bytes\\n'
head -c 1048576 /dev/zero | tr '\\0' 'x'
printf '\\n'
printf 'no newline at the end'
`,
      );
      const config = d.writeConfig(
        `services:
  odd:
    command: ["./odd.sh"]
`,
        'odd/kepler.yaml',
      );
      expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
      await waitStatus(config, 'odd', 'exited');
      const raw = await waitFor(() => {
        const b = readFileSync(logPath(config, 'odd.stdout.log'));
        return b.includes('no newline at the end') ? b : null;
      }, 'the unterminated last line');
      const records: Buffer[] = [];
      for (let at = 0; at < raw.length; ) {
        const nl = raw.indexOf(0x0a, at);
        const end = nl === -1 ? raw.length : nl;
        expect(raw.subarray(at, at + 25).toString('latin1')).toMatch(STAMP);
        records.push(raw.subarray(at + 25, end));
        at = end + 1;
      }
      expect(records).toHaveLength(4);
      expect(records[0]!.equals(Buffer.from('cr\rinside\r'))).toBe(true);
      expect(
        records[1]!.equals(Buffer.from([...Buffer.from('bad'), 0xff, 0xfe, ...Buffer.from('bytes')])),
      ).toBe(true);
      expect(records[2]!.length).toBe(1048576);
      expect(records[2]!.every((b) => b === 0x78)).toBe(true);
      expect(records[3]!.toString()).toBe('no newline at the end');
    },
    T,
  );
});

describe('retention', () => {
  const cmd = '["sh", "-c", "echo run-$$; exec sleep 300"]';

  function runs(config: string, name: string): string[] {
    return stored(config, `${name}.stdout.log`).filter((l) => l.startsWith('run-'));
  }

  async function startAndCapture(config: string, name: string, count: number): Promise<void> {
    expect((await d.cli(['start', '-d', '-f', config, name])).code).toBe(0);
    await waitFor(() => runs(config, name).length === count, `${name} to log run ${count}`);
  }

  /** Starts a service and waits for this run's own line (`run-<its pid>`); returns it and every stored run. */
  async function startAndCaptureNew(config: string, name: string): Promise<{ line: string; all: string[] }> {
    expect((await d.cli(['start', '-d', '-f', config, name])).code).toBe(0);
    const line = `run-${(await waitStatus(config, name, 'running')).pid}`;
    await waitFor(() => runs(config, name).includes(line), `${name} to log ${line}`);
    return { line, all: runs(config, name) };
  }

  test(
    'on_stop: clear by default, retain keeps; global kepler.logs applies, services override it',
    async () => {
      const config = d.writeConfig(
        `kepler:
  logs:
    retention: { on_stop: retain }
services:
  inherits:
    command: ${cmd}
  overrides:
    command: ${cmd}
    logs:
      retention: { on_stop: clear }
`,
        'retention/global.kepler.yaml',
      );
      await startAndCapture(config, 'inherits', 1);
      await startAndCapture(config, 'overrides', 1);
      await d.cli(['stop', '-f', config]);
      expect(runs(config, 'inherits')).toHaveLength(1);
      expect(runs(config, 'overrides')).toHaveLength(0);

      const plain = d.writeConfig(
        `services:\n  dflt:\n    command: ${cmd}\n`,
        'retention/default.kepler.yaml',
      );
      await startAndCapture(plain, 'dflt', 1);
      await d.cli(['stop', '-f', plain]);
      expect(runs(plain, 'dflt')).toHaveLength(0);
      expect((await d.cli(['logs', '-f', plain])).stdout).toBe('');
    },
    T,
  );

  test(
    'on_stop: clear also applies to a service stopped while it waits out a restart backoff',
    async () => {
      const config = d.writeConfig(
        `services:
  crashy:
    command: ["sh", "-c", "echo crash-$$; exit 1"]
    restart:
      policy: on-failure
      backoff: { initial: 30s }
`,
        'retention/backoff.kepler.yaml',
      );
      expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
      // The immediate first restart crashes too; then it waits 30 s in `restarting`.
      await waitFor(async () => {
        const s = await d.service(config, 'crashy');
        return s.status === 'restarting' && (s.restarts as number) >= 2;
      }, 'crashy to wait out its backoff');
      expect(
        stored(config, 'crashy.stdout.log').filter((l) => l.startsWith('crash-')).length,
      ).toBeGreaterThan(0);
      expect((await d.cli(['stop', '-f', config])).code).toBe(0);
      expect((await d.service(config, 'crashy')).status).toBe('stopped');
      expect(stored(config, 'crashy.stdout.log')).toEqual([]);
    },
    T,
  );

  test(
    'on_start: retain by default, clear empties the logs at each start',
    async () => {
      const config = d.writeConfig(
        `kepler:
  logs:
    retention: { on_stop: retain }
services:
  keep:
    command: ${cmd}
  fresh:
    command: ${cmd}
    logs:
      retention: { on_start: clear }
`,
        'retention/onstart.kepler.yaml',
      );
      const first: Record<string, string> = {};
      for (const name of ['keep', 'fresh']) {
        await startAndCapture(config, name, 1);
        first[name] = runs(config, name)[0]!;
        await d.cli(['stop', '-f', config, name]);
        expect(runs(config, name)).toEqual([first[name]]); // on_stop: retain
      }
      // Each run logs its own pid: wait for the second run's line, then check what is left beside it
      // (a count alone is already 1 from the first run when clearing does nothing).
      const keep = await startAndCaptureNew(config, 'keep');
      expect(keep.all).toEqual([first.keep, keep.line]);
      const fresh = await startAndCaptureNew(config, 'fresh');
      expect(fresh.line).not.toBe(first.fresh);
      expect(fresh.all).toEqual([fresh.line]);
      await d.cli(['stop', '-f', config]);
    },
    T,
  );

  test(
    'on_restart: retain by default, clear empties the logs on restart',
    async () => {
      const config = d.writeConfig(
        `services:
  keep:
    command: ${cmd}
  fresh:
    command: ${cmd}
    logs:
      retention: { on_restart: clear }
`,
        'retention/onrestart.kepler.yaml',
      );
      await startAndCapture(config, 'keep', 1);
      await startAndCapture(config, 'fresh', 1);
      const before = Object.fromEntries((await d.ps(config)).map((s) => [s.name, s.pid]));
      expect((await d.cli(['restart', '-d', '-f', config])).code).toBe(0);
      await waitFor(
        async () =>
          (await d.ps(config)).every((s) => s.status === 'running' && s.pid !== before[s.name as string]),
        'both to restart',
      );
      await waitFor(() => runs(config, 'keep').length === 2, 'keep to hold both runs');
      await waitFor(() => runs(config, 'fresh').length === 1, 'fresh to log its new run');
      expect(runs(config, 'fresh')).toEqual([`run-${(await d.service(config, 'fresh')).pid}`]);
      await d.cli(['stop', '-f', config]);
    },
    T,
  );

  test(
    'on_exit: retain by default, clear empties the logs when the process exits',
    async () => {
      const once = '["sh", "-c", "echo run-$$"]';
      const config = d.writeConfig(
        `services:
  keep:
    command: ${once}
  gone:
    command: ${once}
    logs:
      retention: { on_exit: clear }
`,
        'retention/onexit.kepler.yaml',
      );
      expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
      for (const n of ['keep', 'gone']) await waitStatus(config, n, 'exited');
      await waitFor(() => runs(config, 'keep').length === 1, 'keep to hold its run');
      expect(runs(config, 'gone')).toEqual([]);
      // Emptied, not never written (an empty log is also what a run that stored nothing leaves): the
      // note is recorded only when a clear removed stored lines.
      expect((await d.cli(['logs', '-f', config, 'gone'])).stderr).toMatch(
        /^gone: no stored output: it was cleared when its process exited \(logs\.retention\.on_exit: clear;/,
      );
    },
    T,
  );
});
