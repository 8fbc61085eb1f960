/**
 * Logs that retention cleared (issue 10, defect 6): `kepler logs` says so and names the setting,
 * instead of printing nothing; a service that kept its logs or never wrote a line gets no such note.
 */
import { join } from 'node:path';
import { TestDaemon, waitFor } from '../testkit.js';

/** Generous: two cores shared with other suites. */
const T = 60_000;

const d = new TestDaemon('kepler-logs-cleared');
beforeAll(() => d.start(), T);
afterAll(() => d.cleanup(), T);

const CLEARED =
  'api: no stored output: it was cleared when the service stopped (logs.retention.on_stop: clear; set it to retain to keep the logs of stopped services)\n';

test(
  'after a stop with the default on_stop: clear, logs names the setting; retain and silent services get no note',
  async () => {
    const config = d.writeConfig(
      `services:
  api:
    command: ["sh", "-c", "echo api-said-hello; exec sleep 300"]
  kept:
    command: ["sh", "-c", "echo kept-said-hello; exec sleep 300"]
    logs: { retention: { on_stop: retain } }
  quiet:
    command: ["sleep", "300"]
`,
      join('cleared', 'kepler.yaml'),
    );
    expect((await d.cli(['start', '-d', '--wait', '-f', config])).code).toBe(0);
    await waitFor(
      async () => (await d.cli(['logs', '--raw', '-f', config, 'api'])).stdout === 'api-said-hello\n',
      "api's line",
    );
    // Running, with its line stored: no note.
    expect((await d.cli(['logs', '-f', config, 'api'])).stderr).toBe('');
    await waitFor(
      async () => (await d.cli(['logs', '--raw', '-f', config, 'kept'])).stdout === 'kept-said-hello\n',
      "kept's line",
    );
    expect((await d.cli(['stop', '-f', config])).code).toBe(0);

    const api = await d.cli(['logs', '-f', config, 'api']);
    expect(api).toEqual({ code: 0, stdout: '', stderr: CLEARED });

    // Every service: the kept lines, the note for api only (quiet never wrote anything).
    const all = await d.cli(['logs', '--raw', '-f', config]);
    expect(all.code).toBe(0);
    expect(all.stdout).toBe('kept-said-hello\n');
    expect(all.stderr).toBe(CLEARED);

    // --json: stdout stays JSON lines (none here), the note goes to stderr.
    const json = await d.cli(['logs', '--json', '-f', config, 'api']);
    expect(json).toEqual({ code: 0, stdout: '', stderr: CLEARED });

    const quiet = await d.cli(['logs', '-f', config, 'quiet']);
    expect(quiet).toEqual({ code: 0, stdout: '', stderr: '' });

    // Started again and talking: its new lines are what there is, no note.
    expect((await d.cli(['start', '-d', '-f', config, 'api'])).code).toBe(0);
    await waitFor(
      async () => (await d.cli(['logs', '--raw', '-f', config, 'api'])).stdout === 'api-said-hello\n',
      "api's new line",
    );
    expect((await d.cli(['logs', '-f', config, 'api'])).stderr).toBe('');
    await d.cli(['stop', '-f', config]);
  },
  T,
);
