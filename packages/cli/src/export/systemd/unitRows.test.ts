/** One test per row of the systemd mapping (unitRows.ts, hookRows.ts). */
import type { BakedConfig, BakedService } from '@kepler/config';
import { DEFAULT_BACKOFF, DEFAULT_LOG_SETTINGS } from '@kepler/config';
import {
  bakedConfig,
  bakedService,
  edgeOf,
  fakeLookup,
  healthcheckOf,
  restartOf,
} from '../../testkit/bakedConfig.js';
import { exportSystemd } from './exportSystemd.js';
import { restartSteps } from './unitRows.js';

const hook = (command: string[], over: Record<string, unknown> = {}) => ({
  command,
  run: null,
  user: null,
  group: null,
  workingDir: '/srv/stack',
  environment: {},
  ...over,
});

function unitFor(
  over: Partial<BakedService>,
  { others = [] as BakedService[], version = 252, config = {} as Partial<BakedConfig> } = {},
) {
  const services = [...others, bakedService('web', over)];
  const baked = bakedConfig(services, config);
  const out = exportSystemd(baked, {
    services: baked.serviceOrder,
    name: 'stack',
    dir: '/etc/systemd/system',
    systemdVersion: version,
    lookup: fakeLookup,
  });
  const unit = out.files.find((f) => f.name === 'stack-web.service')?.content ?? '';
  const lines = unit.split('\n').filter((l) => !l.startsWith('#'));
  const warnings = out.warnings.filter((w) => w.service === 'web').map((w) => w.key);
  return { unit, lines, warnings, files: out.files, all: out.warnings };
}

describe('systemd rows', () => {
  it('(description), (target) and (type): one unit per service, part of the target, no start limit', () => {
    const { lines } = unitFor({});
    expect(lines).toContain('Description=Kepler service web of /srv/stack/kepler.yaml');
    expect(lines).toContain('PartOf=stack.target');
    expect(lines).toContain('Type=simple');
    expect(lines).toContain('TimeoutStartSec=infinity');
  });

  it('type: oneshot -> Type=oneshot (restart always written on-failure); forking -> PIDFile= and its start timeout', () => {
    const oneshot = unitFor({
      type: 'oneshot',
      restart: restartOf('always'),
    });
    expect(oneshot.lines).toEqual(expect.arrayContaining(['Type=oneshot', 'Restart=on-failure']));
    const forking = unitFor({ type: 'forking', pidFile: '/run/app.pid', startTimeoutMs: 30_000 });
    expect(forking.lines).toEqual(
      expect.arrayContaining(['Type=forking', 'PIDFile=/run/app.pid', 'TimeoutStartSec=30s']),
    );
    expect(forking.lines).not.toContain('TimeoutStartSec=infinity');
  });

  it('stop_command -> ExecStop=, after the pre_stop hook', () => {
    const { lines } = unitFor({
      stopCommand: ['app', 'stop', '--now'],
      hooks: { pre_stop: hook(['echo', 'draining']) },
    });
    const stops = lines.filter((l) => l.startsWith('ExecStop='));
    expect(stops).toEqual(['ExecStop=/usr/bin/echo draining', 'ExecStop=/usr/bin/app stop --now']);
  });

  it('command: argv[0] made absolute, the rest quoted for systemd', () => {
    const { lines } = unitFor({ command: ['node', 'server.js', '--name', 'a b', '50%'] });
    expect(lines).toContain('ExecStart=/usr/bin/node server.js --name "a b" 50%%');
  });

  it('command: an executable not found is warned, never written relative', () => {
    const { lines, warnings } = unitFor({ command: ['missing-tool'] });
    expect(lines.some((l) => l.startsWith('ExecStart='))).toBe(false);
    expect(warnings).toContain('command');
  });

  it('working_dir -> WorkingDirectory', () => {
    expect(unitFor({ workingDir: '/srv/stack/app' }).lines).toContain('WorkingDirectory=/srv/stack/app');
  });

  it('user and group -> User= and Group= (systemd sets the supplementary groups from User=)', () => {
    expect(unitFor({ user: 'node' }).lines).toContain('User=node');
    const uidGid = unitFor({ user: '1000:1001' }).lines;
    expect(uidGid).toEqual(expect.arrayContaining(['User=1000', 'Group=1001']));
    const override = unitFor({ user: '1000:1001', group: 'developers' }).lines;
    expect(override).toContain('Group=developers');
    expect(override).not.toContain('Group=1001');
    expect(unitFor({}).lines.some((l) => l.startsWith('User='))).toBe(false);
  });

  it('environment -> an EnvironmentFile= beside the unit, mode 0600; bad names warned', () => {
    const { lines, files, warnings } = unitFor({
      environment: { B: '2', A: 'x"y', 'my.var': '1', C: 'bell\u0007' },
    });
    expect(lines).toContain('EnvironmentFile=/etc/systemd/system/stack-web.env');
    const env = files.find((f) => f.name === 'stack-web.env');
    expect(env?.mode).toBe(0o600);
    expect(env?.content.split('\n').slice(1)).toEqual(['A="x\\"y"', 'B="2"', '']);
    expect(warnings).toEqual(['environment.C', 'environment.my.var']);
  });

  it('port: N -> PORT in the EnvironmentFile (unless the service sets it); auto and hostname warned', () => {
    const envOf = (r: ReturnType<typeof unitFor>) =>
      r.files.find((f) => f.name === 'stack-web.env')?.content ?? '';
    const fixed = unitFor({ port: 8080, environment: { A: '1' } });
    expect(envOf(fixed).split('\n').slice(1)).toEqual(['A="1"', 'PORT="8080"', '']);
    expect(fixed.warnings).toEqual([]);
    expect(envOf(unitFor({ port: 8080, environment: { PORT: '9' } }))).toContain('PORT="9"');
    const auto = unitFor({ port: 'auto', hostname: 'api.localhost' });
    expect(envOf(auto)).not.toContain('PORT=');
    expect(auto.warnings).toEqual(['port', 'hostname']);
  });

  it('a health check on the own port is described in its warning', () => {
    const own = unitFor({ port: 8080, healthcheck: healthcheckOf({ kind: 'ownPort', path: '/health' }) });
    expect(own.unit).toContain('#   healthcheck: http http://127.0.0.1:$PORT/health every 30s');
    const tcp = unitFor({ port: 8080, healthcheck: healthcheckOf({ kind: 'ownPort', path: null }) });
    expect(tcp.unit).toContain('#   healthcheck: tcp 127.0.0.1:$PORT every 30s');
  });

  it('restart.policy -> Restart=, with no start limit when it restarts', () => {
    expect(unitFor({}).lines).toContain('Restart=no');
    expect(unitFor({}).lines).not.toContain('StartLimitIntervalSec=0');
    const always = unitFor({
      restart: { policy: 'always', watch: [], backoff: DEFAULT_BACKOFF, maxRetries: null },
    }).lines;
    expect(always).toEqual(expect.arrayContaining(['Restart=always', 'StartLimitIntervalSec=0']));
  });

  it('restart.backoff -> RestartSec=, and RestartSteps=/RestartMaxDelaySec= from systemd 254 only', () => {
    const restart = { policy: 'on-failure' as const, watch: [], backoff: DEFAULT_BACKOFF, maxRetries: null };
    const old = unitFor({ restart }, { version: 252 });
    expect(old.lines).toContain('RestartSec=100ms');
    expect(old.lines.join('\n')).not.toMatch(/RestartSteps|RestartMaxDelaySec/);
    expect(old.warnings).toContain('restart.backoff');
    const recent = unitFor({ restart }, { version: 254 });
    expect(recent.lines).toEqual(
      expect.arrayContaining(['RestartSec=100ms', 'RestartSteps=9', 'RestartMaxDelaySec=30s']),
    );
    expect(recent.warnings).not.toContain('restart.backoff');
    expect(recent.warnings).toContain('restart.backoff.reset_after');
    expect(restartSteps(1000, 2, 8000)).toBe(3);
    expect(restartSteps(1000, 1, 8000)).toBe(0);
  });

  it('restart.max_retries -> StartLimitBurst= within the time that many quick failures take', () => {
    const { lines, warnings } = unitFor({ restart: restartOf('on-failure', { maxRetries: 3 }) });
    // 3 x (reset_after 10 s) + 100 ms + 200 ms + 400 ms
    expect(lines).toEqual(expect.arrayContaining(['StartLimitIntervalSec=30700ms', 'StartLimitBurst=4']));
    expect(lines).not.toContain('StartLimitIntervalSec=0');
    expect(warnings).toContain('restart.max_retries');
  });

  it('depends_on required: false -> Wants= + After=', () => {
    const { lines, warnings } = unitFor(
      { dependsOn: { db: edgeOf('service_started', { required: false }) } },
      { others: [bakedService('db')] },
    );
    expect(lines).toEqual(expect.arrayContaining(['Wants=stack-db.service', 'After=stack-db.service']));
    expect(lines).not.toContain('Requires=stack-db.service');
    expect(warnings).toEqual([]);
  });

  it('healthcheck.on_unhealthy and start_timeout are warned with the check', () => {
    const hc = healthcheckOf(
      { kind: 'tcp', host: '127.0.0.1', port: 1 },
      { onUnhealthy: 'restart', startTimeoutMs: 60_000 },
    );
    expect(unitFor({ healthcheck: hc }).warnings).toEqual([
      'healthcheck',
      'healthcheck.on_unhealthy',
      'healthcheck.start_timeout',
    ]);
  });

  it('priority is warned when set', () => {
    expect(unitFor({ priority: -10 }).warnings).toEqual(['priority']);
    expect(unitFor({ priority: 0 }).warnings).toEqual([]);
  });

  it('limits -> LimitAS=, LimitCPU=, LimitNOFILE=', () => {
    const { lines } = unitFor({ limits: { memoryBytes: 536870912, cpuTimeSec: 60, maxFds: 4096 } });
    expect(lines).toEqual(expect.arrayContaining(['LimitAS=536870912', 'LimitCPU=60', 'LimitNOFILE=4096']));
  });

  it('stop_signal and stop_grace_period -> KillSignal= and TimeoutStopSec=', () => {
    const { lines } = unitFor({ stopSignal: 'SIGINT', stopGracePeriodMs: 2500 });
    expect(lines).toEqual(expect.arrayContaining(['KillSignal=SIGINT', 'TimeoutStopSec=2500ms']));
  });

  it('depends_on -> Requires= + After=; what systemd cannot wait for is warned', () => {
    const edge = { timeoutMs: null, restart: false, exitCode: null, wait: true, required: true };
    const db = bakedService('db');
    const started = unitFor(
      { dependsOn: { db: { ...edge, condition: 'service_started' } } },
      { others: [db] },
    );
    expect(started.lines).toEqual(
      expect.arrayContaining(['Requires=stack-db.service', 'After=stack-db.service']),
    );
    expect(started.warnings).toEqual([]);
    const healthy = unitFor(
      { dependsOn: { db: { ...edge, condition: 'service_healthy', timeoutMs: 30000 } } },
      { others: [db] },
    );
    expect(healthy.warnings).toEqual(['depends_on.db.condition', 'depends_on.db.timeout']);
    const failed = unitFor({ dependsOn: { db: { ...edge, condition: 'service_failed' } } }, { others: [db] });
    expect(failed.lines).not.toContain('Requires=stack-db.service');
    expect(failed.warnings).toEqual(['depends_on.db.condition']);
  });

  it('depends_on restart: true is warned (Requires= passes on only a restart by hand; Wants= none)', () => {
    const db = bakedService('db');
    const hard = unitFor(
      { dependsOn: { db: edgeOf('service_started', { restart: true }) } },
      { others: [db] },
    );
    expect(hard.lines).toContain('Requires=stack-db.service');
    expect(hard.warnings).toEqual(['depends_on.db.restart']);
    const soft = unitFor(
      { dependsOn: { db: edgeOf('service_started', { restart: true, required: false }) } },
      { others: [db] },
    );
    expect(soft.lines).toContain('Wants=stack-db.service');
    expect(soft.warnings).toEqual(['depends_on.db.restart']);
    expect(soft.all.find((w) => w.key === 'depends_on.db.restart')?.message).toContain('not exported');
  });

  it('depends_on service_completed_successfully on a forking service is warned', () => {
    const { warnings } = unitFor(
      {
        dependsOn: { d: edgeOf('service_completed_successfully') },
      },
      { others: [bakedService('d', { type: 'forking', pidFile: '/run/d.pid', startTimeoutMs: 1000 })] },
    );
    expect(warnings).toEqual(['depends_on.d.condition']);
  });

  it('depends_on service_completed_successfully makes the dependency Type=oneshot', () => {
    const edge = { timeoutMs: null, restart: false, exitCode: null, wait: true, required: true };
    const { files, warnings } = unitFor(
      { dependsOn: { migrate: { ...edge, condition: 'service_completed_successfully' } } },
      { others: [bakedService('migrate')] },
    );
    expect(files.find((f) => f.name === 'stack-migrate.service')?.content).toContain('\nType=oneshot\n');
    expect(warnings).toEqual([]);
  });

  it('hooks: pre_start, post_start, pre_stop, post_stop -> ExecStartPre/Post, ExecStop, ExecStopPost', () => {
    const { lines, warnings } = unitFor({
      hooks: {
        pre_start: hook(['echo', 'pre']),
        post_start: hook(['sh', '-c', 'echo $HOME']),
        pre_stop: hook(['./drain.sh']),
        post_stop: hook(['echo', 'post'], { user: 'root' }),
      },
    });
    expect(lines).toEqual(
      expect.arrayContaining([
        'ExecStartPre=/usr/bin/echo pre',
        'ExecStartPost=/usr/bin/sh -c "echo $$HOME"',
        'ExecStop=/srv/stack/drain.sh',
        'ExecStopPost=+/usr/bin/echo post',
      ]),
    );
    expect(warnings).toEqual(['hooks.pre_stop']);
  });

  it("hooks: a hook's own user, directory or environment is warned", () => {
    const { warnings } = unitFor({
      hooks: { pre_start: hook(['echo'], { user: 'daemon', workingDir: '/tmp', environment: { X: '1' } }) },
    });
    expect(warnings).toEqual([
      'hooks.pre_start.user',
      'hooks.pre_start.working_dir',
      'hooks.pre_start.environment',
    ]);
  });

  it('hooks with no place in a unit are warned: on_init, pre_restart, post_restart, post_exit, post_healthcheck_*', () => {
    const names = [
      'on_init',
      'pre_restart',
      'post_restart',
      'post_exit',
      'post_healthcheck_success',
      'post_healthcheck_fail',
    ];
    const { warnings, unit } = unitFor({ hooks: Object.fromEntries(names.map((n) => [n, hook(['echo'])])) });
    expect(warnings).toEqual(names.map((n) => `hooks.${n}`));
    for (const n of names) expect(unit).toContain(`#   hooks.${n}: `);
  });

  it('healthcheck and restart.watch are warned and written as comments', () => {
    const { warnings, unit, all } = unitFor({
      healthcheck: {
        probe: { kind: 'tcp', host: '127.0.0.1', port: 5432 },
        intervalMs: 1000,
        timeoutMs: 1000,
        retries: 3,
        startPeriodMs: 0,
        onUnhealthy: 'keep',
        startTimeoutMs: null,
      },
      restart: { policy: 'no', watch: ['**/*.py'], backoff: DEFAULT_BACKOFF, maxRetries: null },
    });
    expect(warnings).toEqual(['healthcheck', 'restart.watch']);
    expect(unit).toContain(
      '#   healthcheck: tcp 127.0.0.1:5432 every 1s: no systemd equivalent: not exported',
    );
    expect(all[0]).toMatchObject({ service: 'web', key: 'healthcheck' });
  });

  it('logs: store false -> StandardOutput=/StandardError=null; size and retention warned', () => {
    const { lines, warnings } = unitFor({
      logs: {
        ...DEFAULT_LOG_SETTINGS,
        maxSizeBytes: 1024,
        bufferSize: 10,
        store: { stdout: false, stderr: false },
        retention: { ...DEFAULT_LOG_SETTINGS.retention, onStop: 'retain' },
      },
    });
    expect(lines).toEqual(expect.arrayContaining(['StandardOutput=null', 'StandardError=null']));
    expect(warnings).toEqual(['logs.max_size', 'logs.buffer_size', 'logs.retention.on_stop']);
  });

  it("the config's hooks are warned and written on the target", () => {
    const { files, all } = unitFor(
      {},
      {
        config: {
          kepler: {
            sysEnv: 'clear',
            timeoutMs: null,
            logs: DEFAULT_LOG_SETTINGS,
            hooks: { pre_start: hook(['echo']) },
          },
        },
      },
    );
    expect(all).toContainEqual(expect.objectContaining({ service: 'kepler', key: 'kepler.hooks.pre_start' }));
    const target = files.find((f) => f.name === 'stack.target')?.content ?? '';
    expect(target).toContain('#   kepler.hooks.pre_start: ');
    expect(target).toContain('Wants=stack-web.service');
  });
});
