import { spawn } from 'node:child_process';
import { CLI, TestDaemon, waitFor } from '../testkit.js';

/** Generous: two cores shared with other suites. */
const T = 60_000;

const d = new TestDaemon('kepler-logs-unloaded');

beforeAll(() => d.start(), T);
afterAll(() => d.cleanup(), T);

// A follower subscribed to the config's old actor: after `down` a later start loads a new one that it
// never hears from, so it used to wait silently for ever, while the service printed again.
test(
  '`kepler logs --follow` ends when `kepler down` unloads the config, saying it is not loaded',
  async () => {
    const config = d.writeConfig(
      'services:\n  tick:\n    command: ["sh", "-c", "while :; do echo tick; sleep 0.1; done"]\n',
      'unloaded/kepler.yaml',
    );
    expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
    const child = spawn(process.execPath, [CLI, 'logs', '--follow', '--raw', '-f', config], {
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
    const exit = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    try {
      await waitFor(() => out.includes('tick\n'), 'a followed line');
      expect((await d.cli(['down', '-f', config])).code).toBe(0);
      expect(await exit).toBe(0);
      expect(err).toBe(`${config} is not loaded (\`kepler start -f ${config}\` loads it)\n`);
    } finally {
      child.kill('SIGKILL');
    }
  },
  T,
);
