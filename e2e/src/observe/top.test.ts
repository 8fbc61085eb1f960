import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { CLI, REPO, TestDaemon, waitFor } from '../testkit.js';
import { parsePrometheusText, sampleOf } from './prometheusText.js';

/** Generous: two cores shared with other suites. */
const T = 90_000;

const d = new TestDaemon('kepler-top');
let config: string;

interface MetricsClient {
  request(req: { type: 'metrics' }): Promise<{ contentType: string; text: string }>;
  close(): void;
}
interface ProtocolModule {
  DaemonClient: { connect(socket: string): Promise<MetricsClient> };
}

beforeAll(async () => {
  await d.start();
  config = d.writeConfig(`services:
  busy:
    command: ["sh", "-c", "while :; do :; done"]
  idle:
    command: ["sleep", "600"]
`);
  expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
  await d.waitStatus(config, 'busy', 'running');
  await d.waitStatus(config, 'idle', 'running');
}, T);
afterAll(() => d.cleanup(), T);

type TopRow = Record<string, unknown>;

test(
  'top --json: one snapshot in which a busy service uses CPU and memory',
  async () => {
    const r = await d.cli(['top', '--json', '-f', config]);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as TopRow[];
    expect(rows.map((row) => row.name)).toEqual(['busy', 'idle']);
    const busy = rows.find((row) => row.name === 'busy')!;
    expect(busy).toMatchObject({ status: 'running', restarts: 0 });
    expect(busy.cpu_percent as number).toBeGreaterThan(0);
    expect(busy.cpu_seconds as number).toBeGreaterThan(0);
    expect(busy.memory_bytes as number).toBeGreaterThan(0);
    expect(['cgroup', 'proc']).toContain(busy.usage_source);
    const idle = rows.find((row) => row.name === 'idle')!;
    expect(idle.memory_bytes as number).toBeGreaterThan(0);
  },
  T,
);

test(
  'top with stdout not a terminal prints one table and exits',
  async () => {
    const r = await d.cli(['top', '-f', config]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SERVICE\s+STATUS\s+CPU%\s+MEMORY\s+PID\s+RESTARTS$/);
    expect(lines[1]).toMatch(/^busy\s+running\s+\d+\.\d%\s+\d+(\.\d)? (B|KiB|MiB|GiB)\s+\d+\s+0$/);
    expect(lines).toHaveLength(3);
    expect(r.stdout).not.toContain('\x1b[');
  },
  T,
);

test(
  'top on a terminal redraws on the alternate screen until Ctrl+C, then restores the terminal',
  async () => {
    // util-linux `script` gives the CLI a pseudo-terminal; a ^C written to it reaches the CLI as SIGINT.
    // `exec`: script runs the command with $SHELL -c, and dash (CI has no SHELL) stays as the parent in
    // the terminal's foreground group, dies of the ^C itself, and script reports its 130.
    const command = `exec ${process.execPath} ${CLI} top -f ${config}`;
    const child: ChildProcess = spawn('script', ['-qfec', command, '/dev/null'], {
      cwd: d.workDir,
      env: { ...process.env, ...d.env, NO_COLOR: '1', TERM: 'xterm' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const frames = () => out.split('\x1b[H').length - 1;
      await waitFor(() => frames() >= 3, 'three frames of top', { timeoutMs: 30_000 });
      expect(out.startsWith('\x1b[?1049h')).toBe(true);
      // Each frame is the whole table again: the busy service's row is redrawn with its CPU.
      const busyRows = out.match(/busy\s+running\s+\S+%/g) ?? [];
      expect(busyRows.length).toBeGreaterThanOrEqual(2);
      child.stdin?.write('\x03');
      const code = await waitFor(
        async () => {
          const c = await Promise.race([exited, new Promise((r) => setTimeout(() => r(undefined), 100))]);
          return c === undefined ? null : { code: c };
        },
        'top to exit after Ctrl+C',
        { timeoutMs: 15_000 },
      );
      expect(code.code).toBe(0);
      // The cursor shown again and the alternate screen left, last.
      expect(out.trimEnd().endsWith('\x1b[?25h\x1b[?1049l')).toBe(true);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  },
  T,
);

test(
  'the metrics request answers the Prometheus text format, parsed strictly',
  async () => {
    const protocol = (await import(join(REPO, 'packages/protocol/dist/index.js'))) as ProtocolModule;
    const client = await protocol.DaemonClient.connect(d.socket);
    try {
      const r = await client.request({ type: 'metrics' });
      expect(r.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
      const families = parsePrometheusText(r.text);
      expect([...families.keys()]).toEqual([
        'kepler_service_up',
        'kepler_service_restarts_total',
        'kepler_service_cpu_seconds_total',
        'kepler_service_memory_bytes',
        'kepler_service_healthy',
        'kepler_service_uptime_seconds',
      ]);
      expect(sampleOf(families, 'kepler_service_up', config, 'busy')).toBe(1);
      expect(sampleOf(families, 'kepler_service_restarts_total', config, 'busy')).toBe(0);
      expect(sampleOf(families, 'kepler_service_cpu_seconds_total', config, 'busy')).toBeGreaterThan(0);
      expect(sampleOf(families, 'kepler_service_memory_bytes', config, 'idle')).toBeGreaterThan(0);
      expect(sampleOf(families, 'kepler_service_uptime_seconds', config, 'idle')).toBeGreaterThan(0);
      // A counter only grows: read again a second later.
      const before = sampleOf(families, 'kepler_service_cpu_seconds_total', config, 'busy')!;
      const later = await waitFor(
        async () => {
          const again = parsePrometheusText((await client.request({ type: 'metrics' })).text);
          const v = sampleOf(again, 'kepler_service_cpu_seconds_total', config, 'busy')!;
          return v > before ? v : null;
        },
        'the busy service to use more CPU',
        { timeoutMs: 15_000, intervalMs: 300 },
      );
      expect(later).toBeGreaterThan(before);
    } finally {
      client.close();
    }
  },
  T,
);

test(
  'top --all lists every loaded config; a config the daemon has not loaded stays unloaded',
  async () => {
    const all = await d.cli(['top', '--all', '--json']);
    expect(all.code).toBe(0);
    expect((JSON.parse(all.stdout) as TopRow[]).map((r) => `${r.config}:${r.name}`)).toEqual([
      `${config}:busy`,
      `${config}:idle`,
    ]);
    const other = d.writeConfig('services:\n  x:\n    command: ["sleep", "600"]\n', 'other/kepler.yaml');
    const r = await d.cli(['top', '--json', '-f', other]);
    expect(r).toMatchObject({ code: 0, stdout: '[]\n' });
    expect(r.stderr).toContain('is not loaded');
    expect((await d.cli(['ps', '--all', '--json'])).stdout).not.toContain(other);
  },
  T,
);
