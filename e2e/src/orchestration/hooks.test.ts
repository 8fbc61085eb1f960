import { existsSync, mkdirSync } from 'node:fs';
import { jest } from '@jest/globals';
import { TestDaemon, waitFor } from '../testkit.js';
import { Scenario } from './helpers.js';

jest.setTimeout(120_000);

const d = new TestDaemon('kepler-e2e-hooks');
beforeAll(() => d.start());
afterAll(() => d.cleanup());

const GLOBAL_HOOKS = [
  'on_init',
  'pre_start',
  'post_start',
  'pre_stop',
  'post_stop',
  'pre_restart',
  'post_restart',
  'pre_cleanup',
];
const SERVICE_HOOKS = [
  'on_init',
  'pre_start',
  'post_start',
  'pre_stop',
  'post_stop',
  'pre_restart',
  'post_restart',
  'post_exit',
];

/** `hooks:` block where each hook appends `<owner>.<hook>` to the record file. */
function recordingHooks(owner: string, names: readonly string[], indent: string): string {
  return names.map((h) => `${indent}${h}:\n${indent}  run: "echo ${owner}.${h} >> $REC"`).join('\n');
}

/** A service recording its spawn and its SIGTERM. */
const recorded = (name: string) =>
  `["sh", "-c", "trap 'echo ${name} stop >> $REC; exit 0' TERM; echo '${name} spawn' >> $REC; while true; do sleep 0.1; done"]`;

const ALL_HOOKS_YAML = `
kepler:
  hooks:
${recordingHooks('global', GLOBAL_HOOKS, '    ')}
services:
  app:
    command: ${recorded('app')}
    hooks:
${recordingHooks('app', SERVICE_HOOKS, '      ')}
`;

describe('hook moments and order', () => {
  test('start, service restart, full restart, stop and post_exit run their hooks in order', async () => {
    const s = new Scenario(d, 'order', ALL_HOOKS_YAML);
    await s.ok(['start', '-d', '--wait']);
    await s.waitLine('global.post_start');
    await s.waitLine('app.post_start');
    let lines = s.lines();
    expect(lines.slice(0, 4)).toEqual(['global.on_init', 'global.pre_start', 'app.on_init', 'app.pre_start']);
    expect(lines.indexOf('app spawn')).toBeGreaterThan(lines.indexOf('app.pre_start'));
    // Global post_start comes once the service has started, its post_start included.
    expect(lines.indexOf('global.post_start')).toBeGreaterThan(lines.indexOf('app.post_start'));

    // A restart of one service: exactly the seed's order (the process's own spawn line is async).
    let mark = s.lines().length;
    await s.ok(['restart', '-d', '--wait', 'app']);
    await s.waitLine('app.post_restart');
    lines = s.lines().slice(mark);
    expect(lines.filter((l) => l !== 'app spawn')).toEqual([
      'app.pre_restart',
      'app.pre_stop',
      'app stop',
      'app.post_stop',
      'app.pre_start',
      'app.post_start',
      'app.post_restart',
    ]);
    expect(lines.indexOf('app spawn')).toBeGreaterThan(lines.indexOf('app.pre_start'));

    // A restart of everything wraps that in the global restart hooks.
    mark = s.lines().length;
    await s.ok(['restart', '-d', '--wait']);
    await s.waitLine('global.post_restart');
    lines = s
      .lines()
      .slice(mark)
      .filter((l) => l !== 'app spawn');
    expect(lines[0]).toBe('global.pre_restart');
    expect(lines.at(-1)).toBe('global.post_restart');
    expect(lines.slice(1, -1)).toEqual([
      'app.pre_restart',
      'app.pre_stop',
      'app stop',
      'app.post_stop',
      'app.pre_start',
      'app.post_start',
      'app.post_restart',
    ]);

    // Stop everything.
    mark = s.lines().length;
    await s.ok(['stop']);
    expect(s.lines().slice(mark)).toEqual([
      'global.pre_stop',
      'app.pre_stop',
      'app stop',
      'app.post_stop',
      'global.post_stop',
    ]);

    // Starting again: no on_init (once per config / service).
    mark = s.lines().length;
    await s.ok(['start', '-d', '--wait']);
    await s.waitLineAfter(mark, 'app.post_start');
    expect(s.lines().filter((l) => l.endsWith('.on_init'))).toHaveLength(2);
    await s.ok(['stop']);
  });

  test('post_exit runs when the process ends on its own; post_stop does not', async () => {
    const s = new Scenario(
      d,
      'post-exit',
      `
services:
  once:
    command: ["sh", "-c", "sleep 0.2; exit 3"]
    hooks:
${recordingHooks('once', ['post_exit', 'post_stop', 'pre_stop'], '      ')}
`,
    );
    await s.ok(['start', '-d']);
    await s.waitStatus('once', 'failed');
    await s.waitLine('once.post_exit');
    await s.ok(['stop']);
    expect(s.lines()).toEqual(['once.post_exit']);
  });

  test('health hooks fire once per transition, not per check', async () => {
    const s = new Scenario(
      d,
      'health-hooks',
      `
services:
  app:
    command: ["sleep", "100"]
    healthcheck:
      test: ["sh", "-c", "echo check >> checks; test -f ok"]
      interval: 100ms
      retries: 2
    hooks:
${recordingHooks('app', ['post_healthcheck_success', 'post_healthcheck_fail'], '      ')}
`,
    );
    const { readFileSync, rmSync } = await import('node:fs');
    const checks = () =>
      existsSync(s.path('checks')) ? readFileSync(s.path('checks'), 'utf8').split('\n').length - 1 : 0;
    const afterChecks = async (n: number) => {
      const target = checks() + n;
      await waitFor(() => checks() >= target, `${n} more checks`);
    };
    s.write('ok');
    await s.ok(['start', '-d']);
    await s.waitStatus('app', 'healthy');
    await s.waitLine('app.post_healthcheck_success');
    await afterChecks(5);
    expect(s.lines()).toEqual(['app.post_healthcheck_success']);
    rmSync(s.path('ok'));
    await s.waitStatus('app', 'unhealthy');
    await s.waitLine('app.post_healthcheck_fail');
    await afterChecks(5);
    expect(s.lines()).toEqual(['app.post_healthcheck_success', 'app.post_healthcheck_fail']);
    s.write('ok');
    await s.waitStatus('app', 'healthy');
    await afterChecks(5);
    expect(s.lines()).toEqual([
      'app.post_healthcheck_success',
      'app.post_healthcheck_fail',
      'app.post_healthcheck_success',
    ]);
    await s.ok(['stop']);
  });
});

describe('hook execution', () => {
  test('run goes through sh -c, command is argv; env and working_dir follow the service', async () => {
    const s = new Scenario(
      d,
      'exec',
      `
services:
  app:
    command: ["sleep", "100"]
    working_dir: ./svcdir
    env_file: service.env
    environment:
      - FROM_SVC=svc
      - OVERRIDE=svc
    hooks:
      pre_start:
        run: "echo shell=$((1+2)) >> $REC"
      post_start:
        command: ["sh", "-c", "echo \\"$1|$2\\" >> $REC", "argv", "a b", "$FROM_SVC"]
      pre_stop:
        run: "echo \\"env FROM_SVC=$FROM_SVC FROM_SVC_FILE=$FROM_SVC_FILE OVERRIDE=$OVERRIDE FILE_OVER=$FILE_OVER HOOK_ONLY=$HOOK_ONLY pwd=$(pwd)\\" >> $REC"
        working_dir: sub
        env_file: hook.env
        environment:
          - OVERRIDE=hook
          - HOOK_ONLY=yes
`,
    );
    mkdirSync(s.path('svcdir/sub'), { recursive: true });
    s.write('service.env', 'FROM_SVC_FILE=svcfile\nFILE_OVER=svcfile\n');
    s.write('hook.env', 'FILE_OVER=hookfile\nOVERRIDE=hookfile\n');
    await s.ok(['start', '-d', '--wait']);
    await s.waitLine(/^a b\|/);
    await s.ok(['stop']);
    const lines = s.lines();
    expect(lines).toContain('shell=3');
    // argv: no shell expansion of "$FROM_SVC" as an argument.
    expect(lines).toContain('a b|$FROM_SVC');
    expect(lines).toContain(
      `env FROM_SVC=svc FROM_SVC_FILE=svcfile OVERRIDE=hook FILE_OVER=hookfile HOOK_ONLY=yes pwd=${s.path('svcdir/sub')}`,
    );
  });

  test('a failing pre_start fails the start with the reason; a failing post_start is logged and the service runs', async () => {
    const s = new Scenario(
      d,
      'failing',
      `
services:
  blocked:
    command: ["sleep", "100"]
    hooks:
      pre_start:
        run: "echo 'pre-start output'; exit 4"
  tolerant:
    command: ["sleep", "100"]
    hooks:
      post_start:
        run: "echo 'post-start complaint'; exit 9"
`,
    );
    await s.ok(['start', '-d']);
    const blocked = await s.waitStatus('blocked', 'failed');
    expect(blocked.reason).toMatch(/pre_start hook/);
    expect(blocked.pid).toBeNull();
    const tolerant = await s.waitStatus('tolerant', 'running');
    const logged = await waitFor(async () => {
      const out = (await s.cli(['logs', 'tolerant'])).stdout;
      return out.includes('post_start hook exited') ? out : null;
    }, 'the hook failure in the logs');
    expect(logged).toMatch(/tolerant\.post_start\s*\| post-start complaint/);
    expect(logged).toMatch(/tolerant\.post_start\s*\| post_start hook exited with code 9/);
    // The blocked service's log says why it did not start.
    expect((await s.cli(['logs', 'blocked'])).stdout).toMatch(
      /blocked\.pre_start\s*\| pre_start hook exited with code 4/,
    );
    // Still the same process, still running.
    const later = await s.svc('tolerant');
    expect(later.status).toBe('running');
    expect(later.pid).toBe(tolerant.pid);
    await s.ok(['stop']);
  });

  test('hook output is in `kepler logs` as <service>.<hook>, hidden by --no-hook', async () => {
    const s = new Scenario(
      d,
      'logs',
      `
services:
  app:
    command: ["sh", "-c", "echo service-line; exec sleep 100"]
    hooks:
      pre_start:
        run: echo hook-line
`,
    );
    await s.ok(['start', '-d', '--wait']);
    const all = await waitFor(async () => {
      const r = await s.ok(['logs']);
      return r.stdout.includes('service-line') && r.stdout.includes('hook-line') ? r.stdout : null;
    }, 'both lines in the logs');
    expect(all).toMatch(/app\.pre_start\s*\| hook-line/);
    expect(all).toMatch(/app\s*\| service-line/);
    const noHook = await s.ok(['logs', '--no-hook']);
    expect(noHook.stdout).toContain('service-line');
    expect(noHook.stdout).not.toContain('hook-line');
    await s.ok(['stop']);
  });

  test('stop --clean runs pre_cleanup and removes the state directory', async () => {
    const s = new Scenario(
      d,
      'cleanup',
      `
kepler:
  hooks:
    pre_cleanup:
      run: "echo cleanup-ran >> $REC"
services:
  app:
    command: ["sleep", "100"]
`,
    );
    await s.ok(['start', '-d', '--wait']);
    const stateDir = d.configStateDir(s.config);
    expect(existsSync(stateDir)).toBe(true);
    await s.ok(['stop', '--clean']);
    expect(s.lines()).toEqual(['cleanup-ran']);
    expect(existsSync(stateDir)).toBe(false);
  });
});

describe('on_init across daemon restarts', () => {
  test('global and service on_init run once, remembered by the state directory', async () => {
    const own = new TestDaemon('kepler-e2e-oninit');
    await own.start();
    try {
      const s = new Scenario(own, 'init', ALL_HOOKS_YAML);
      await s.ok(['start', '-d', '--wait']);
      await s.waitLine('app.post_start');
      await s.ok(['stop']);
      await own.stop();
      await own.start();
      const mark = s.lines().length;
      await s.ok(['start', '-d', '--wait']);
      await s.waitLineAfter(mark, 'app.post_start');
      const after = s.lines().slice(mark);
      expect(after).toContain('global.pre_start');
      expect(after).toContain('app.pre_start');
      expect(s.lines().filter((l) => l.endsWith('.on_init'))).toEqual(['global.on_init', 'app.on_init']);
      await s.ok(['stop']);
    } finally {
      await own.cleanup();
    }
  });
});
