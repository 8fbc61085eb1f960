// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Nomad interpolation syntax, shown literally
/**
 * One test per row of the Nomad mapping (groupRows.ts and the rows it lists: restartRow.ts,
 * healthcheckRow.ts, portRows.ts, hookRows.ts); every job is checked against the schema.
 */
import type { BakedConfig, BakedService } from '@kepler/config';
import { DEFAULT_BACKOFF, DEFAULT_LOG_SETTINGS } from '@kepler/config';
import {
  bakedConfig,
  bakedService,
  edgeOf,
  fakeLookup,
  healthcheckOf,
  hookOf,
  restartOf,
} from '../../testkit/bakedConfig.js';
import { nomadJobProblems } from '../../testkit/nomadJobCheck.js';
import { exportNomad } from './exportNomad.js';
import type { NomadTask } from './nomadJob.js';

const hook = (command: string[], over: Record<string, unknown> = {}) => ({
  command,
  run: null,
  user: null,
  group: null,
  workingDir: '/srv/stack',
  environment: {},
  ...over,
});
const edge = { timeoutMs: null, restart: false, exitCode: null, wait: true, required: true };
const tcpCheck = {
  probe: { kind: 'tcp' as const, host: '127.0.0.1', port: 5432 },
  intervalMs: 2000,
  timeoutMs: 1000,
  retries: 3,
  startPeriodMs: 0,
  onUnhealthy: 'keep' as const,
  startTimeoutMs: null,
};

function groupFor(
  over: Partial<BakedService>,
  { others = [] as BakedService[], config = {} as Partial<BakedConfig>, driver = 'raw_exec' as const } = {},
) {
  const baked = bakedConfig([...others, bakedService('web', over)], config);
  const out = exportNomad(baked, { services: baked.serviceOrder, job: 'stack', driver, lookup: fakeLookup });
  expect(nomadJobProblems(out.job)).toEqual([]);
  const group = out.job.Job.TaskGroups.find((g) => g.Name === 'web');
  if (group === undefined) throw new Error('no group');
  const main = group.Tasks.find((t) => t.Name === 'web') as NomadTask;
  // `restart: no` (the default) always warns: only the restart tests look at it.
  const warnings = out.warnings
    .filter((w) => w.service === 'web' && (over.restart !== undefined || w.key !== 'restart.policy'))
    .map((w) => w.key);
  return { job: out.job.Job, group, main, warnings, all: out.warnings };
}

describe('nomad rows', () => {
  it('the job: ID, name, service type, every datacenter, a group per service', () => {
    const { job, group, main } = groupFor({}, { others: [bakedService('db')] });
    expect(job).toMatchObject({ ID: 'stack', Name: 'stack', Type: 'service', Datacenters: ['*'] });
    expect(job.TaskGroups.map((g) => g.Name)).toEqual(['db', 'web']);
    expect(group.Count).toBe(1);
    expect(main.Driver).toBe('raw_exec');
  });

  it('command and working_dir -> config.command (absolute), config.args, config.work_dir', () => {
    const { main } = groupFor({
      command: ['node', 'server.js', '--port', '80'],
      workingDir: '/srv/stack/app',
    });
    expect(main.Config).toEqual({
      command: '/usr/bin/node',
      args: ['server.js', '--port', '80'],
      work_dir: '/srv/stack/app',
    });
    const missing = groupFor({ command: ['missing-tool'] });
    expect(missing.main.Config.command).toBe('missing-tool');
    expect(missing.warnings).toContain('command');
  });

  it('type, pid_file, start_timeout and stop_command are warned', () => {
    expect(groupFor({ type: 'oneshot' }).warnings).toEqual(['type']);
    const forking = groupFor({
      type: 'forking',
      pidFile: '/run/a.pid',
      startTimeoutMs: 1000,
      stopCommand: ['app', 'stop'],
    });
    expect(forking.warnings).toEqual(['type', 'pid_file', 'start_timeout', 'stop_command']);
  });

  it('--driver exec', () => {
    expect(groupFor({}, { driver: 'exec' as never }).main.Driver).toBe('exec');
  });

  it('environment -> Env, names in order; ${...} that Nomad would replace is warned', () => {
    const { main, warnings } = groupFor({ environment: { B: '2', A: '1', C: 'x${y}' } });
    expect(Object.keys(main.Env ?? {})).toEqual(['A', 'B', 'C']);
    expect(warnings).toEqual(['environment.C']);
  });

  it('user -> User; a gid or group is warned (Nomad has no group)', () => {
    expect(groupFor({ user: 'node' }).main.User).toBe('node');
    const uidGid = groupFor({ user: '1000:1001', group: 'dev' });
    expect(uidGid.main.User).toBe('1000');
    expect(uidGid.warnings).toEqual(['user', 'group']);
  });

  it('a numeric uid is warned: Nomad looks User up by name, so a uid no user is named after fails the task', () => {
    const uid = groupFor({ user: '65534' });
    expect(uid.main.User).toBe('65534');
    expect(uid.all.filter((w) => w.key === 'user').map((w) => w.message)).toEqual([
      'uid 65534: Nomad looks User up by name (a task whose user has no such name fails to start): write the name',
    ]);
    const uidGid = groupFor({ user: '1000:1001' });
    expect(uidGid.all.find((w) => w.key === 'user')?.message).toBe(
      'Nomad has no group setting: gid 1001 not kept; uid 1000: Nomad looks User up by name (a task whose user has no such name fails to start): write the name',
    );
    expect(groupFor({ user: 'node' }).warnings).toEqual([]);
    const hooked = groupFor({ hooks: { pre_start: hook(['echo', 'pre'], { user: '0' }) } });
    expect(hooked.warnings).toContain('hooks.pre_start.user');
  });

  it('limits: memory -> Resources.MemoryMB (at least 10); cpu_time and max_fds warned', () => {
    const { main, warnings } = groupFor({
      limits: { memoryBytes: 512 * 1024 * 1024, cpuTimeSec: 5, maxFds: 64 },
    });
    expect(main.Resources).toEqual({ MemoryMB: 512 });
    expect(warnings).toEqual(['limits.memory', 'limits.cpu_time', 'limits.max_fds']);
    expect(
      groupFor({ limits: { memoryBytes: 1024, cpuTimeSec: null, maxFds: null } }).main.Resources,
    ).toEqual({
      MemoryMB: 10,
    });
  });

  it('stop_signal and stop_grace_period -> KillSignal and KillTimeout (ns)', () => {
    const { main } = groupFor({ stopSignal: 'SIGINT', stopGracePeriodMs: 2500 });
    expect(main).toMatchObject({ KillSignal: 'SIGINT', KillTimeout: 2_500_000_000 });
  });

  it('restart: no -> no restart, no reschedule', () => {
    const { group, warnings } = groupFor({
      restart: { policy: 'no', watch: [], backoff: DEFAULT_BACKOFF, maxRetries: null },
    });
    expect(group.RestartPolicy).toMatchObject({ Attempts: 0, Mode: 'fail' });
    expect(group.ReschedulePolicy).toEqual({ Attempts: 0, Unlimited: false });
    expect(warnings).toEqual(['restart.policy']);
  });

  it('restart with backoff -> restarts in place under 5 s, then unlimited exponential rescheduling', () => {
    const { group, warnings } = groupFor({
      restart: { policy: 'always', watch: [], backoff: DEFAULT_BACKOFF, maxRetries: null },
    });
    expect(group.RestartPolicy).toEqual({ Attempts: 6, Interval: 10e9, Delay: 100e6, Mode: 'fail' });
    expect(group.ReschedulePolicy).toEqual({
      Attempts: 0,
      Delay: 6400e6,
      DelayFunction: 'exponential',
      MaxDelay: 30e9,
      Unlimited: true,
    });
    expect(warnings).toEqual(['restart.backoff']);
    const odd = groupFor({
      restart: {
        policy: 'on-failure',
        watch: [],
        backoff: { initialMs: 1000, multiplier: 3, maxMs: 2000, resetAfterMs: 0 },
        maxRetries: null,
      },
    });
    expect(odd.group.ReschedulePolicy).toMatchObject({ Delay: 5e9, MaxDelay: 5e9 });
    expect(odd.warnings).toEqual(['restart.backoff', 'restart.backoff.multiplier', 'restart.policy']);
  });

  it('restart.max_retries -> that many restarts in place, then the group fails (no reschedule)', () => {
    const { group, warnings } = groupFor({ restart: restartOf('always', { maxRetries: 3 }) });
    expect(group.RestartPolicy).toEqual({ Attempts: 3, Interval: 10e9, Delay: 100e6, Mode: 'fail' });
    expect(group.ReschedulePolicy).toEqual({ Attempts: 0, Unlimited: false });
    expect(warnings).toEqual(['restart.backoff']);
  });

  it('healthcheck.on_unhealthy: restart -> check_restart with start_period as its grace', () => {
    const hc = healthcheckOf(
      { kind: 'tcp', host: '127.0.0.1', port: 5432 },
      { onUnhealthy: 'restart', startPeriodMs: 10_000 },
    );
    const { main, warnings } = groupFor({ healthcheck: hc });
    expect(main.Services?.[0]?.Checks?.[0]?.CheckRestart).toEqual({
      Limit: 1,
      Grace: 10e9,
      IgnoreWarnings: false,
    });
    expect(warnings).toEqual(['healthcheck.tcp']);
  });

  it('healthcheck.start_timeout is warned', () => {
    const hc = healthcheckOf({ kind: 'tcp', host: '127.0.0.1', port: 5432 }, { startTimeoutMs: 60_000 });
    expect(groupFor({ healthcheck: hc }).warnings).toEqual(['healthcheck.start_timeout', 'healthcheck.tcp']);
  });

  it('depends_on required: false -> the wait gives up at the timeout without failing', () => {
    const others = [bakedService('db', { healthcheck: healthcheckOf({ kind: 'tcp', host: 'h', port: 1 }) })];
    const soft = groupFor(
      { dependsOn: { db: edgeOf('service_healthy', { required: false, timeoutMs: 5000 }) } },
      { others },
    );
    expect(soft.group.Tasks[0]?.Config.args?.[1]).toContain(
      '-ge 5 ]; then echo "db not ready after 5s" >&2; exit 0;',
    );
    expect(soft.warnings).toEqual([]);
    const forever = groupFor(
      { dependsOn: { db: edgeOf('service_healthy', { required: false }) } },
      { others },
    );
    expect(forever.warnings).toEqual(['depends_on.db.required']);
  });

  it('priority is warned when set', () => {
    expect(groupFor({ priority: 5 }).warnings).toEqual(['priority']);
  });

  it('port: N -> a reserved port labelled port, and PORT for every task of the group', () => {
    const { group, main } = groupFor({ port: 8080, hooks: { pre_start: hookOf(['echo']) } });
    expect(group.Networks).toEqual([{ ReservedPorts: [{ Label: 'port', Value: 8080 }] }]);
    expect(main.Env).toEqual({ PORT: '8080' });
    expect(group.Tasks[0]?.Env).toEqual({ PORT: '8080' });
    expect(groupFor({ port: 8080, environment: { PORT: '9' } }).main.Env).toEqual({ PORT: '9' });
  });

  it('port: auto -> a port Nomad picks, given as PORT through NOMAD_PORT_port', () => {
    const { group, main, warnings } = groupFor({ port: 'auto' });
    expect(group.Networks).toEqual([{ DynamicPorts: [{ Label: 'port' }] }]);
    expect(main.Env).toEqual({ PORT: '$' + '{NOMAD_PORT_port}' });
    expect(warnings).toEqual([]);
  });

  it('healthcheck on the own port -> an http or tcp check on the port label', () => {
    const http = groupFor({ port: 'auto', healthcheck: healthcheckOf({ kind: 'ownPort', path: '/health' }) });
    expect(http.main.Services?.[0]).toMatchObject({
      PortLabel: 'port',
      Checks: [{ Type: 'http', Path: '/health', Protocol: 'http', PortLabel: 'port' }],
    });
    const tcp = groupFor({ port: 9000, healthcheck: healthcheckOf({ kind: 'ownPort', path: null }) });
    expect(tcp.main.Services?.[0]?.Checks?.[0]).toMatchObject({ Type: 'tcp', PortLabel: 'port' });
    expect(tcp.group.Networks).toEqual([{ ReservedPorts: [{ Label: 'port', Value: 9000 }] }]);
    // A check on the service's fixed port by number shares its label.
    const same = groupFor({ port: 5432, healthcheck: tcpCheck });
    expect(same.group.Networks).toEqual([{ ReservedPorts: [{ Label: 'port', Value: 5432 }] }]);
  });

  it('hostname is warned', () => {
    expect(groupFor({ port: 'auto', hostname: 'api.localhost' }).warnings).toEqual(['hostname']);
  });

  it('healthcheck tcp -> a Consul service with a tcp check on a reserved port', () => {
    const { group, main, warnings } = groupFor({ healthcheck: tcpCheck });
    expect(group.Networks).toEqual([{ ReservedPorts: [{ Label: 'healthcheck', Value: 5432 }] }]);
    expect(main.Services).toEqual([
      {
        Name: 'stack-web',
        Provider: 'consul',
        PortLabel: 'healthcheck',
        Checks: [
          {
            Name: 'healthcheck',
            Type: 'tcp',
            Interval: 2e9,
            Timeout: 1e9,
            PortLabel: 'healthcheck',
            FailuresBeforeCritical: 3,
          },
        ],
      },
    ]);
    expect(warnings).toEqual(['healthcheck.tcp']);
  });

  it('healthcheck http -> an http check with path and protocol; short intervals raised to 1 s', () => {
    const { main, group, warnings } = groupFor({
      healthcheck: {
        ...tcpCheck,
        probe: { kind: 'http', url: 'https://10.0.0.1/health?full=1' },
        intervalMs: 500,
        startPeriodMs: 5000,
      },
    });
    expect(main.Services?.[0]?.Checks?.[0]).toMatchObject({
      Type: 'http',
      Path: '/health?full=1',
      Protocol: 'https',
      Interval: 1e9,
    });
    expect(group.Networks?.[0]?.ReservedPorts).toEqual([{ Label: 'healthcheck', Value: 443 }]);
    expect(warnings).toEqual(['healthcheck.interval', 'healthcheck.start_period', 'healthcheck.http']);
  });

  it('a raised interval or timeout is warned with the value given and the one used', () => {
    const { all } = groupFor({ healthcheck: { ...tcpCheck, intervalMs: 500, timeoutMs: 200 } });
    const raised = ['healthcheck.interval', 'healthcheck.timeout'];
    const texts = all.filter((w) => raised.includes(w.key));
    expect(texts.map((w) => `${w.key}: ${w.message}`)).toEqual([
      "healthcheck.interval: 500ms: Consul's shortest check interval is 1s: raised to 1s",
      "healthcheck.timeout: 200ms: Consul's shortest timeout is 1s: raised to 1s",
    ]);
  });

  it('healthcheck test -> a script check (retries warned)', () => {
    const { main, group, warnings } = groupFor({
      healthcheck: { ...tcpCheck, probe: { kind: 'command', test: ['pg_isready', '-q'] } },
    });
    expect(main.Services?.[0]?.Checks?.[0]).toMatchObject({
      Type: 'script',
      Command: '/usr/bin/pg_isready',
      Args: ['-q'],
    });
    expect(group.Networks).toBeUndefined();
    expect(warnings).toEqual(['healthcheck.retries']);
  });

  it('depends_on -> a prestart task waiting for the Consul name, with the timeout', () => {
    const db = bakedService('db', { healthcheck: tcpCheck });
    const { group, warnings, job } = groupFor(
      { dependsOn: { db: { ...edge, condition: 'service_healthy', timeoutMs: 20_000, restart: true } } },
      { others: [db] },
    );
    const wait = group.Tasks[0];
    expect(wait).toMatchObject({ Name: 'wait-for-db', Lifecycle: { Hook: 'prestart', Sidecar: false } });
    expect(wait?.Config.command).toBe('/bin/sh');
    expect(wait?.Config.args?.[1]).toContain('getent hosts stack-db.service.consul');
    expect(wait?.Config.args?.[1]).toContain('-ge 20');
    expect(group.Tasks[1]?.Name).toBe('web');
    expect(warnings).toEqual(['depends_on.db.restart']);
    expect(job.TaskGroups[0]?.Tasks[0]?.Services?.[0]?.Name).toBe('stack-db');
  });

  it('depends_on that Nomad cannot wait for is warned, with no task', () => {
    const others = [bakedService('db')];
    const done = groupFor(
      { dependsOn: { db: { ...edge, condition: 'service_completed_successfully' } } },
      { others },
    );
    expect(done.group.Tasks.map((t) => t.Name)).toEqual(['web']);
    expect(done.warnings).toEqual(['depends_on.db.condition']);
    const failed = groupFor({ dependsOn: { db: { ...edge, condition: 'service_failed' } } }, { others });
    expect(failed.warnings).toEqual(['depends_on.db.condition']);
  });

  it('hooks: pre_start, post_start, post_stop -> prestart, poststart, poststop tasks', () => {
    const { group, warnings } = groupFor({
      hooks: {
        pre_start: hook(['echo', 'pre'], { environment: { A: '1' }, user: 'deploy:adm' }),
        post_start: hook(['echo', 'post']),
        post_stop: hook(['echo', 'bye']),
      },
    });
    expect(group.Tasks.map((t) => [t.Name, t.Lifecycle?.Hook])).toEqual([
      ['hook-pre_start', 'prestart'],
      ['web', undefined],
      ['hook-post_start', 'poststart'],
      ['hook-post_stop', 'poststop'],
    ]);
    expect(group.Tasks[0]).toMatchObject({
      Config: { command: '/usr/bin/echo', args: ['pre'], work_dir: '/srv/stack' },
      Env: { A: '1' },
      User: 'deploy',
    });
    expect(warnings).toEqual(['hooks.pre_start.user', 'hooks.pre_start', 'hooks.post_start']);
  });

  it('hooks with no Nomad place are warned: on_init, pre_stop, pre_restart, post_restart, post_exit, post_healthcheck_*', () => {
    const names = [
      'on_init',
      'pre_stop',
      'pre_restart',
      'post_restart',
      'post_exit',
      'post_healthcheck_success',
      'post_healthcheck_fail',
    ];
    const { warnings, group } = groupFor({
      hooks: Object.fromEntries(names.map((n) => [n, hook(['echo'])])),
    });
    expect(warnings).toEqual(names.map((n) => `hooks.${n}`));
    expect(group.Tasks).toHaveLength(1);
  });

  it('restart.watch is warned', () => {
    expect(
      groupFor({ restart: { policy: 'no', watch: ['*.py'], backoff: DEFAULT_BACKOFF, maxRetries: null } })
        .warnings,
    ).toContain('restart.watch');
  });

  it('logs: max_size -> LogConfig; neither stream stored -> Disabled; the rest warned', () => {
    const sized = groupFor({
      logs: { ...DEFAULT_LOG_SETTINGS, maxSizeBytes: 50 * 1024 * 1024, bufferSize: 4096 },
    });
    expect(sized.main.LogConfig).toEqual({ MaxFiles: 2, MaxFileSizeMB: 25 });
    expect(sized.warnings).toEqual(['logs.buffer_size']);
    const none = groupFor({ logs: { ...DEFAULT_LOG_SETTINGS, store: { stdout: false, stderr: false } } });
    expect(none.main.LogConfig).toEqual({ Disabled: true });
    const half = groupFor({
      logs: {
        ...DEFAULT_LOG_SETTINGS,
        store: { stdout: true, stderr: false },
        retention: { ...DEFAULT_LOG_SETTINGS.retention, onExit: 'clear' },
      },
    });
    expect(half.warnings).toEqual(['logs.store', 'logs.retention.on_exit']);
  });

  it("the config's hooks are warned", () => {
    const kepler = {
      sysEnv: 'clear' as const,
      timeoutMs: null,
      logs: DEFAULT_LOG_SETTINGS,
      hooks: { pre_cleanup: hook(['echo']) },
    };
    const { all } = groupFor({}, { config: { kepler } });
    expect(all[0]).toMatchObject({ service: 'kepler', key: 'kepler.hooks.pre_cleanup' });
  });
});

describe('the job schema', () => {
  const job = () =>
    exportNomad(bakedConfig([bakedService('web', { healthcheck: tcpCheck })]), {
      services: ['web'],
      job: 'stack',
      driver: 'raw_exec',
      lookup: fakeLookup,
    }).job as unknown as { Job: Record<string, unknown> & { TaskGroups: Record<string, unknown>[] } };

  it('refuses a field the API does not have, a short reschedule delay, a missing command', () => {
    const misspelt = job();
    misspelt.Job.Datacenter = ['dc1'];
    expect(nomadJobProblems(misspelt).join('\n')).toMatch(/additional properties/);
    const short = job();
    (short.Job.TaskGroups[0] as Record<string, unknown>).ReschedulePolicy = { Delay: 1e9, Unlimited: true };
    expect(nomadJobProblems(short).join('\n')).toMatch(/ReschedulePolicy\/Delay/);
    const noCommand = job();
    const tasks = (noCommand.Job.TaskGroups[0]?.Tasks ?? []) as Record<string, unknown>[];
    const task = tasks[0] ?? {};
    task.Config = { args: [] };
    expect(nomadJobProblems(noCommand).join('\n')).toMatch(/command/);
  });

  it('refuses what nomad/structs refuses between fields: attempts x delay over the interval', () => {
    const tight = job();
    (tight.Job.TaskGroups[0] as Record<string, unknown>).RestartPolicy = {
      Attempts: 10,
      Interval: 5e9,
      Delay: 1e9,
      Mode: 'fail',
    };
    expect(nomadJobProblems(tight)).toEqual(['group web: attempts x delay > interval']);
  });
});
