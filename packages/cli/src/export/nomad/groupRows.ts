/**
 * The Nomad mapping as data: one row per Kepler key, each filling in a task group (one per service)
 * and warning about what it cannot carry. Adding a key is adding a row; `exportNomad.ts` assembles.
 */
import { STARTUP_CONDITIONS } from '@kepler/config';
import { formatBytes, formatDuration } from '@kepler/config/grammar';
import { changedRetention } from '../logRetention.js';
import {
  type GroupContext,
  type GroupDraft,
  type NomadRow,
  ns,
  sortedEnv,
  taskConfig,
  taskUser,
  taskUserWarning,
} from './groupDraft.js';
import { healthcheckRow } from './healthcheckRow.js';
import { HOOK_ROWS } from './hookRows.js';
import { hostnameRow, portRow } from './portRows.js';
import { restartRow } from './restartRow.js';

/** Nomad's minimum task memory, in MB. */
export const NOMAD_MIN_MEMORY_MB = 10;
const MIB = 1024 * 1024;

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
    const warning = taskUserWarning(split);
    if (warning !== null) draft.warn('user', warning);
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
  for (const [name, value] of changedRetention(logs)) {
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
  { key: 'hostname', apply: hostnameRow },
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
