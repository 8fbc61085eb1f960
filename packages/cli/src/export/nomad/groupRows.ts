/**
 * The Nomad mapping as data: one row per Kepler key, each filling in a task group (one per service)
 * and warning about what it cannot carry. Adding a key is adding a row; `exportNomad.ts` assembles.
 */
import { STARTUP_CONDITIONS } from '@kepler/config';
import { formatBytes, formatDuration } from '@kepler/config/grammar';
import {
  dynamicPort,
  type GroupContext,
  type GroupDraft,
  type NomadRow,
  ns,
  reservePort,
  sortedEnv,
  taskConfig,
  taskUser,
} from './groupDraft.js';
import { HOOK_ROWS } from './hookRows.js';
import type { NomadCheck } from './nomadJob.js';

/** Nomad's floors (nomad/structs): restart interval, reschedule delay, check interval and timeout. */
export const NOMAD_MIN_RESTART_INTERVAL_MS = 5000;
export const NOMAD_MIN_RESCHEDULE_DELAY_MS = 5000;
export const NOMAD_MIN_CHECK_MS = 1000;
/** Nomad's minimum task memory, in MB. */
export const NOMAD_MIN_MEMORY_MB = 10;
const MIB = 1024 * 1024;

/** The port label of the port a health check probes. */
export const CHECK_PORT_LABEL = 'healthcheck';
/** The port label of the service's own `port`. */
export const SERVICE_PORT_LABEL = 'port';

/** Nomad interpolates `${...}` in a task's env and args when it starts it. */
const INTERPOLATION = '$' + '{...}';

function interpolationWarnings(ctx: GroupContext, draft: GroupDraft): void {
  for (const [name, value] of Object.entries(ctx.service.environment)) {
    if (value.includes('${'))
      draft.warn(`environment.${name}`, `Nomad replaces ${INTERPOLATION} in it when the task starts`);
  }
  if (ctx.service.command.some((arg) => arg.includes('${'))) {
    draft.warn('command', `Nomad replaces ${INTERPOLATION} in the arguments when the task starts`);
  }
}

function restartRow(ctx: GroupContext, draft: GroupDraft): void {
  const { policy, backoff } = ctx.service.restart;
  if (policy === 'no') {
    draft.group.RestartPolicy = { Attempts: 0, Interval: ns(30 * 60_000), Delay: ns(15_000), Mode: 'fail' };
    draft.group.ReschedulePolicy = { Attempts: 0, Unlimited: false };
    draft.warn(
      'restart.policy',
      'no: Nomad marks a service task that exits as failed, whatever its exit code',
    );
    return;
  }
  if (ctx.service.restart.maxRetries !== null) {
    // A limited number: restarts in place only (Nomad's delay is constant), then the group fails.
    const retries = ctx.service.restart.maxRetries;
    const window = Math.max(NOMAD_MIN_RESTART_INTERVAL_MS, backoff.resetAfterMs, retries * backoff.initialMs);
    draft.group.RestartPolicy = {
      Attempts: retries,
      Interval: ns(window),
      Delay: ns(backoff.initialMs),
      Mode: 'fail',
    };
    draft.group.ReschedulePolicy = { Attempts: 0, Unlimited: false };
    draft.warn(
      'restart.backoff',
      `Nomad restarts in place ${retries} time(s) every ${formatDuration(backoff.initialMs)} (a constant delay), then fails the group`,
    );
    if (policy === 'on-failure') {
      draft.warn('restart.policy', "on-failure: Nomad's service jobs restart a task whatever its exit code");
    }
    return;
  }
  // Restarts in place for the part of the backoff under Nomad's 5 s reschedule floor (Nomad's restart
  // delay is constant), then rescheduling without limit with the rest of it.
  let attempts = 0;
  let delay = backoff.initialMs;
  while (delay < NOMAD_MIN_RESCHEDULE_DELAY_MS && delay < backoff.maxMs && attempts < 100) {
    attempts += 1;
    if (backoff.multiplier <= 1) break;
    delay *= backoff.multiplier;
  }
  attempts = Math.max(1, attempts);
  const interval = Math.max(
    NOMAD_MIN_RESTART_INTERVAL_MS,
    backoff.resetAfterMs,
    attempts * backoff.initialMs,
  );
  draft.group.RestartPolicy = {
    Attempts: attempts,
    Interval: ns(interval),
    Delay: ns(backoff.initialMs),
    Mode: 'fail',
  };
  const first = Math.max(NOMAD_MIN_RESCHEDULE_DELAY_MS, Math.min(delay, backoff.maxMs));
  const max = Math.max(first, backoff.maxMs);
  draft.group.ReschedulePolicy = {
    Attempts: 0,
    Delay: ns(first),
    DelayFunction: backoff.multiplier <= 1 ? 'constant' : 'exponential',
    MaxDelay: ns(max),
    Unlimited: true,
  };
  draft.warn(
    'restart.backoff',
    `Nomad restarts in place ${attempts} time(s) every ${formatDuration(backoff.initialMs)}, then reschedules after ${formatDuration(first)} growing to ${formatDuration(max)}`,
  );
  if (backoff.multiplier > 1 && backoff.multiplier !== 2) {
    draft.warn('restart.backoff.multiplier', `${backoff.multiplier}: Nomad's exponential delay doubles`);
  }
  if (policy === 'on-failure') {
    draft.warn('restart.policy', "on-failure: Nomad's service jobs restart a task whatever its exit code");
  }
}

function checkOf(ctx: GroupContext, draft: GroupDraft): NomadCheck | null {
  const hc = ctx.service.healthcheck;
  if (hc === null) return null;
  const interval = Math.max(NOMAD_MIN_CHECK_MS, hc.intervalMs);
  const timeout = Math.max(NOMAD_MIN_CHECK_MS, hc.timeoutMs);
  if (hc.intervalMs < NOMAD_MIN_CHECK_MS)
    draft.warn('healthcheck.interval', "Consul's shortest check interval is 1s: 1s");
  if (hc.timeoutMs < NOMAD_MIN_CHECK_MS)
    draft.warn('healthcheck.timeout', "Consul's shortest timeout is 1s: 1s");
  if (hc.startPeriodMs > 0 && hc.onUnhealthy !== 'restart') {
    draft.warn(
      'healthcheck.start_period',
      `${formatDuration(hc.startPeriodMs)}: no Nomad equivalent: not exported`,
    );
  }
  if (hc.startTimeoutMs !== null) {
    draft.warn(
      'healthcheck.start_timeout',
      `${formatDuration(hc.startTimeoutMs)}: no Nomad equivalent: not exported`,
    );
  }
  // on_unhealthy: restart is check_restart: restart the task once Consul reports the check critical,
  // with start_period as the grace before checks count.
  const restart =
    hc.onUnhealthy === 'restart'
      ? { CheckRestart: { Limit: 1, Grace: ns(hc.startPeriodMs), IgnoreWarnings: false } }
      : {};
  const base = { Name: 'healthcheck', Interval: ns(interval), Timeout: ns(timeout), ...restart };
  const { probe } = hc;
  if (probe.kind === 'command') {
    if (hc.retries > 1)
      draft.warn('healthcheck.retries', `${hc.retries}: a Consul script check fails at the first failure`);
    const exe = ctx.absolute(probe.test, ctx.service.workingDir, ctx.service.environment);
    if (exe === null)
      draft.warn('healthcheck.test', `${probe.test[0] ?? ''} was not found in PATH here: named as written`);
    const [command = '', ...args] = exe ?? probe.test;
    return { ...base, Type: 'script', Command: command, ...(args.length > 0 ? { Args: args } : {}) };
  }
  if (probe.kind === 'ownPort') {
    // The service's own `port` (its port row put it in the group's network as SERVICE_PORT_LABEL).
    draft.warn(
      `healthcheck.${probe.path === null ? 'tcp' : 'http'}`,
      "Consul probes the task's address on its port, not 127.0.0.1",
    );
    return {
      ...base,
      Type: probe.path === null ? 'tcp' : 'http',
      ...(probe.path === null ? {} : { Path: probe.path, Protocol: 'http' }),
      PortLabel: SERVICE_PORT_LABEL,
      ...(hc.retries > 0 ? { FailuresBeforeCritical: hc.retries } : {}),
    };
  }
  let port: number;
  let host: string;
  let extra: Partial<NomadCheck> = {};
  if (probe.kind === 'http') {
    const url = new URL(probe.url);
    port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
    host = url.hostname;
    extra = { Path: `${url.pathname}${url.search}`, Protocol: url.protocol.replace(':', '') };
  } else {
    port = probe.port;
    host = probe.host;
  }
  // The check probes the service's own fixed port: one label for both.
  const label = ctx.service.port === port ? SERVICE_PORT_LABEL : CHECK_PORT_LABEL;
  reservePort(draft, label, port);
  draft.warn(`healthcheck.${probe.kind}`, `Consul probes the task's address on port ${port}, not ${host}`);
  return {
    ...base,
    Type: probe.kind,
    ...extra,
    PortLabel: label,
    ...(hc.retries > 0 ? { FailuresBeforeCritical: hc.retries } : {}),
  };
}

/**
 * `port: N` is a fixed port of the group, `port: auto` one Nomad picks; either is PORT in the
 * environment of every task of the group (unless the service sets PORT), as the daemon gives it.
 */
function portRow(ctx: GroupContext, draft: GroupDraft): void {
  const { port, environment } = ctx.service;
  if (port === undefined) return;
  if (port === 'auto') dynamicPort(draft, SERVICE_PORT_LABEL);
  else reservePort(draft, SERVICE_PORT_LABEL, port);
  if (environment.PORT !== undefined) return;
  // Nomad puts the port it picked in NOMAD_PORT_<label> and interpolates it when the task starts.
  draft.groupEnv.PORT = port === 'auto' ? `\${NOMAD_PORT_${SERVICE_PORT_LABEL}}` : String(port);
  draft.main.Env = sortedEnv({ ...draft.main.Env, ...draft.groupEnv });
}

function healthcheckRow(ctx: GroupContext, draft: GroupDraft): void {
  if (!ctx.isRegistered(ctx.service.name)) return;
  const check = checkOf(ctx, draft);
  draft.main.Services = [
    {
      Name: ctx.consulName(ctx.service.name),
      Provider: 'consul',
      ...(check?.PortLabel !== undefined ? { PortLabel: check.PortLabel } : {}),
      ...(check !== null ? { Checks: [check] } : {}),
    },
  ];
}

/** A prestart task that waits until Consul DNS lists the dependency (only passing instances are listed). */
function dependsOnRow(ctx: GroupContext, draft: GroupDraft): void {
  for (const [dep, edge] of Object.entries(ctx.service.dependsOn)) {
    const key = `depends_on.${dep}`;
    if (!STARTUP_CONDITIONS.has(edge.condition)) {
      draft.warn(`${key}.condition`, `${edge.condition} has no Nomad equivalent: not exported`);
      continue;
    }
    if (edge.condition === 'service_completed_successfully') {
      draft.warn(
        `${key}.condition`,
        'Nomad cannot wait for a task of another group to complete: not exported',
      );
      continue;
    }
    const name = `${ctx.consulName(dep)}.service.consul`;
    const lookup = `getent hosts ${name} >/dev/null`;
    const seconds = edge.timeoutMs === null ? null : Math.max(1, Math.ceil(edge.timeoutMs / 1000));
    // A soft edge (`required: false`) gives up waiting without failing the group.
    const giveUp = edge.required ? 'exit 1' : 'exit 0';
    const script =
      seconds === null
        ? `until ${lookup}; do sleep 1; done`
        : `n=0; until ${lookup}; do n=$((n+1)); if [ "$n" -ge ${seconds} ]; then echo "${dep} not ready after ${seconds}s" >&2; ${giveUp}; fi; sleep 1; done`;
    if (!edge.required && seconds === null) {
      draft.warn(
        `${key}.required`,
        `false: Nomad cannot see ${dep} fail: the task waits for it without a limit`,
      );
    }
    draft.lifecycle.push({
      Name: `wait-for-${dep}`,
      Driver: ctx.driver,
      Lifecycle: { Hook: 'prestart', Sidecar: false },
      Config: { command: '/bin/sh', args: ['-c', script] },
    });
    if (edge.condition === 'service_started' && ctx.baked.services[dep]?.healthcheck) {
      draft.warn(`${key}.condition`, `service_started: Consul lists ${dep} only once its check passes`);
    }
    if (edge.restart) draft.warn(`${key}.restart`, `Nomad does not restart this group when ${dep} restarts`);
    if (!ctx.exported.has(dep)) draft.warn(key, `${dep} is not in this job: the task waits for ${name}`);
  }
}

function userRow(ctx: GroupContext, draft: GroupDraft): void {
  const { user, group } = ctx.service;
  if (user !== null) {
    const split = taskUser(user);
    draft.main.User = split.user;
    if (split.droppedGroup !== null) {
      draft.warn('user', `Nomad has no group setting: gid ${split.droppedGroup} not kept`);
    }
  }
  if (group !== null) draft.warn('group', `Nomad has no group setting: ${group} not kept`);
}

function limitsRow(ctx: GroupContext, draft: GroupDraft): void {
  const { memoryBytes, cpuTimeSec, maxFds } = ctx.service.limits;
  if (memoryBytes !== null) {
    const mb = Math.max(NOMAD_MIN_MEMORY_MB, Math.ceil(memoryBytes / MIB));
    draft.main.Resources = { MemoryMB: mb };
    draft.warn('limits.memory', `${formatBytes(memoryBytes)} address space became a ${mb} MB memory limit`);
  }
  if (cpuTimeSec !== null) draft.warn('limits.cpu_time', `${cpuTimeSec}: no Nomad equivalent: not exported`);
  if (maxFds !== null) draft.warn('limits.max_fds', `${maxFds}: no Nomad equivalent: not exported`);
}

function logsRow(ctx: GroupContext, draft: GroupDraft): void {
  const logs = ctx.service.logs;
  if (!logs.store.stdout && !logs.store.stderr) draft.main.LogConfig = { Disabled: true };
  else if (!logs.store.stdout || !logs.store.stderr) {
    draft.warn('logs.store', 'Nomad keeps both streams or neither: both kept');
  }
  if (logs.maxSizeBytes !== null && draft.main.LogConfig === undefined) {
    // Two files of half the size each: between half and all of max_size is kept.
    draft.main.LogConfig = {
      MaxFiles: 2,
      MaxFileSizeMB: Math.max(1, Math.ceil(logs.maxSizeBytes / 2 / MIB)),
    };
  }
  if (logs.bufferSize !== 0)
    draft.warn('logs.buffer_size', `${logs.bufferSize}: no Nomad equivalent: not exported`);
  const { onStart, onStop, onRestart, onExit } = logs.retention;
  const retention: [string, string, string][] = [
    ['on_start', onStart, 'retain'],
    ['on_stop', onStop, 'clear'],
    ['on_restart', onRestart, 'retain'],
    ['on_exit', onExit, 'retain'],
  ];
  for (const [name, value, fallback] of retention) {
    if (value !== fallback)
      draft.warn(`logs.retention.${name}`, `${value}: no Nomad equivalent: not exported`);
  }
}

function priorityRow(ctx: GroupContext, draft: GroupDraft): void {
  if (ctx.service.priority !== 0) {
    draft.warn('priority', `${ctx.service.priority}: Nomad starts the groups of a job together`);
  }
}

function typeRow(ctx: GroupContext, draft: GroupDraft): void {
  const { type, pidFile, startTimeoutMs, stopCommand } = ctx.service;
  if (type === 'oneshot') {
    draft.warn(
      'type',
      "oneshot: a service job's task is meant to keep running: Nomad restarts or fails it when it exits",
    );
  } else if (type === 'forking') {
    draft.warn(
      'type',
      'forking: Nomad supervises the process it starts, not a daemon that forks away from it',
    );
  }
  if (pidFile !== undefined) draft.warn('pid_file', `${pidFile}: no Nomad equivalent: not exported`);
  if (startTimeoutMs !== undefined) {
    draft.warn('start_timeout', `${formatDuration(startTimeoutMs)}: no Nomad equivalent: not exported`);
  }
  if (stopCommand !== undefined)
    draft.warn('stop_command', 'no Nomad equivalent (Nomad stops a task with its kill signal): not exported');
}

/** Every row, in the order they fill the group in. */
export const NOMAD_ROWS: readonly NomadRow[] = [
  {
    key: 'command',
    apply: (ctx, draft) => {
      const s = ctx.service;
      Object.assign(
        draft.main.Config,
        taskConfig(ctx, draft, 'command', s.command, s.workingDir, s.environment),
      );
    },
  },
  { key: 'working_dir', apply: () => {} /* work_dir, written with the command */ },
  {
    key: 'environment',
    apply: (ctx, draft) => {
      if (Object.keys(ctx.service.environment).length > 0)
        draft.main.Env = sortedEnv(ctx.service.environment);
      interpolationWarnings(ctx, draft);
    },
  },
  { key: 'type', apply: typeRow },
  { key: 'user', apply: userRow },
  { key: 'limits', apply: limitsRow },
  {
    key: 'stop_signal',
    apply: (ctx, draft) => {
      draft.main.KillSignal = ctx.service.stopSignal;
    },
  },
  {
    key: 'stop_grace_period',
    apply: (ctx, draft) => {
      draft.main.KillTimeout = ns(ctx.service.stopGracePeriodMs);
    },
  },
  { key: 'restart', apply: restartRow },
  { key: 'port', apply: portRow },
  {
    key: 'hostname',
    apply: (ctx, draft) => {
      if (ctx.service.hostname !== undefined) {
        draft.warn(
          'hostname',
          `${ctx.service.hostname}: route it with your ingress (Kepler's reverse proxy): not exported`,
        );
      }
    },
  },
  { key: 'healthcheck', apply: healthcheckRow },
  { key: 'depends_on', apply: dependsOnRow },
  ...HOOK_ROWS,
  {
    key: 'restart.watch',
    apply: (ctx, draft) => {
      const { watch } = ctx.service.restart;
      if (watch.length > 0)
        draft.warn('restart.watch', `${watch.join(', ')}: no Nomad equivalent: not exported`);
    },
  },
  { key: 'logs', apply: logsRow },
  { key: 'priority', apply: priorityRow },
];
