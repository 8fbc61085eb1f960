/**
 * Reading commands do not load configs (issue 10, defect 8): `ps` and `logs` of a config the daemon
 * never loaded say so in one line, print valid (empty) JSON with `--json`, and leave no trace: no state
 * directory, nothing in `ps --all`. A loaded config still answers as before.
 */
import { existsSync } from 'node:fs';
import { TestDaemon } from '../testkit.js';

/** Generous: two cores shared with other suites. */
const T = 60_000;

const d = new TestDaemon('kepler-e2e-unloaded');
beforeAll(() => d.start(), T);
afterAll(() => d.cleanup(), T);

test(
  'ps, ps --json, logs, logs --json and logs --follow of an unknown config change nothing',
  async () => {
    const other = d.writeConfig('services:\n  web:\n    command: ["sleep", "300"]\n', 'other.yaml');
    const note = `${other} is not loaded (\`kepler start -f ${other}\` loads it)\n`;

    expect(await d.cli(['ps', '-f', other])).toEqual({ code: 0, stdout: '', stderr: note });
    expect(await d.cli(['ps', '--json', '-f', other])).toEqual({ code: 0, stdout: '[]\n', stderr: note });
    expect(await d.cli(['ps', '-f', other, 'web'])).toEqual({ code: 0, stdout: '', stderr: note });
    expect(await d.cli(['logs', '-f', other])).toEqual({ code: 0, stdout: '', stderr: note });
    expect(await d.cli(['logs', '--json', '-f', other, 'web'])).toEqual({
      code: 0,
      stdout: '',
      stderr: note,
    });
    // Nothing to follow: it returns at once rather than waiting on a config nothing will load.
    expect(await d.cli(['logs', '--follow', '-f', other], { timeoutMs: 15_000 })).toEqual({
      code: 0,
      stdout: '',
      stderr: note,
    });

    expect(existsSync(d.configStateDir(other))).toBe(false);
    const all = await d.cli(['ps', '--all', '--json']);
    expect(all.code).toBe(0);
    expect(JSON.parse(all.stdout)).toEqual([]);
    const status = await d.cli(['daemon', 'status', '--json']);
    expect(JSON.parse(status.stdout).configs).toEqual([]);
  },
  T,
);

test(
  'a loaded config: ps lists its services, logs prints its lines, no note',
  async () => {
    const config = d.writeConfig(
      'services:\n  web:\n    command: ["sh", "-c", "echo web-up; exec sleep 300"]\n',
      'loaded.yaml',
    );
    expect((await d.cli(['start', '-d', '--wait', '-f', config])).code).toBe(0);
    const ps = await d.cli(['ps', '--json', '-f', config]);
    expect(ps.stderr).toBe('');
    expect(JSON.parse(ps.stdout).map((s: { name: string; status: string }) => [s.name, s.status])).toEqual([
      ['web', 'running'],
    ]);
    // Stopped, and so no longer running, but still loaded: still listed.
    expect((await d.cli(['stop', '-f', config])).code).toBe(0);
    const after = await d.cli(['ps', '-f', config]);
    expect(after.code).toBe(0);
    expect(after.stderr).toBe('');
    expect(after.stdout).toMatch(/^web\s+stopped/m);
  },
  T,
);
