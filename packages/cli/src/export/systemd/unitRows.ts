/**
 * The systemd mapping as data: one row per Kepler key, each turning a baked service into unit
 * directives and warnings. Adding a key is adding a row; `exportSystemd.ts` only assembles.
 */
import type { BakedService } from '@kepler/config';
import { STARTUP_CONDITIONS } from '@kepler/config';
import { formatBytes } from '@kepler/config/grammar';
import { changedRetention } from '../logRetention.js';
import { describeHealthcheck } from '../probeText.js';
import { HOOK_ROWS } from './hookRows.js';
import { escapeSpecifiers, isValidEnvName, isValidEnvValue, timeSpan } from './systemdSyntax.js';
import { SYSTEMD_SINCE } from './systemdVersion.js';
import { env, execItem, type RowItem, type SystemdRow, set, type UnitContext, warn } from './unitItems.js';

/** `RestartSteps=`: how many doublings (or other multiplier) take the delay from initial to max. */
export function restartSteps(initialMs: number, multiplier: number, maxMs: number): number {
  if (multiplier <= 1 || maxMs <= initialMs || initialMs <= 0) return 0;
  return Math.ceil(Math.log(maxMs / initialMs) / Math.log(multiplier) - 1e-9);
}

function dependsOnItems(ctx: UnitContext): RowItem[] {
  const items: RowItem[] = [];
  for (const [dep, edge] of Object.entries(ctx.service.dependsOn)) {
    const key = `depends_on.${dep}`;
    if (!STARTUP_CONDITIONS.has(edge.condition)) {
      items.push(warn(`${key}.condition`, `${edge.condition} has no systemd equivalent: not exported`));
      continue;
    }
    const unit = ctx.unitOf(dep);
    // A soft edge (`required: false`) is Wants=: the unit starts even when the dependency fails.
    items.push(set('Unit', edge.required ? 'Requires' : 'Wants', unit), set('Unit', 'After', unit));
    if (edge.condition === 'service_healthy') {
      items.push(
        warn(
          `${key}.condition`,
          'systemd has no health checks: the unit waits only until the dependency has started',
        ),
      );
    } else if (edge.condition === 'service_completed_successfully' && !ctx.isOneshot(dep)) {
      items.push(
        warn(
          `${key}.condition`,
          `${dep} is not a one-shot (it restarts always, or forks): the unit waits only until it has started`,
        ),
      );
    }
    if (edge.timeoutMs !== null) {
      items.push(
        warn(`${key}.timeout`, 'no systemd equivalent: the unit waits for the dependency without a limit'),
      );
    }
    // Requires= passes on `systemctl restart` of the dependency, not the restarts systemd does itself.
    if (edge.restart) {
      items.push(
        warn(
          `${key}.restart`,
          edge.required
            ? `systemd restarts this unit with ${dep} only when ${dep} is restarted by hand, not after it exits`
            : 'Wants= passes no restart on: not exported',
        ),
      );
    }
    if (!ctx.exported.has(dep)) {
      items.push(warn(key, `${dep} is not among the exported services: ${unit} must come from elsewhere`));
    }
  }
  return items;
}

/**
 * systemd's start limit: off (`StartLimitIntervalSec=0`) when Kepler restarts without limit (systemd's
 * default, 5 starts in 10 s, would give up); for `max_retries: N`, N+1 starts within the time N quick
 * failures in a row take (each run under `reset_after`, then its backoff delay).
 */
function startLimitItems(ctx: UnitContext): RowItem[] {
  const { policy, maxRetries, backoff } = ctx.service.restart;
  if (policy === 'no') return [];
  if (maxRetries === null) return [set('Unit', 'StartLimitIntervalSec', '0')];
  let windowMs = 0;
  let delay = backoff.initialMs;
  for (let i = 0; i < maxRetries; i += 1) {
    windowMs += backoff.resetAfterMs + Math.min(delay, backoff.maxMs);
    delay *= backoff.multiplier;
  }
  return [
    set('Unit', 'StartLimitIntervalSec', timeSpan(Math.max(1000, windowMs))),
    set('Unit', 'StartLimitBurst', String(maxRetries + 1)),
    warn(
      'restart.max_retries',
      `${maxRetries}: systemd counts starts within StartLimitIntervalSec=, not restarts in a row`,
    ),
  ];
}

function userItems(ctx: UnitContext): RowItem[] {
  const { user, group } = ctx.service;
  if (user === null) return [];
  const colon = user.indexOf(':');
  if (colon === -1) return [set('Service', 'User', escapeSpecifiers(user))];
  // `uid:gid`: the gid is the primary group unless `group` overrides it (its own row).
  const items = [set('Service', 'User', escapeSpecifiers(user.slice(0, colon)))];
  if (group === null) items.push(set('Service', 'Group', escapeSpecifiers(user.slice(colon + 1))));
  return items;
}

function environmentItems(ctx: UnitContext): RowItem[] {
  const items = [set('Service', 'EnvironmentFile', escapeSpecifiers(ctx.envFilePath))];
  for (const name of Object.keys(ctx.service.environment).sort()) {
    const value = ctx.service.environment[name] ?? '';
    if (!isValidEnvName(name)) {
      items.push(warn(`environment.${name}`, 'systemd ignores a variable with this name: not exported'));
    } else if (!isValidEnvValue(value)) {
      items.push(
        warn(`environment.${name}`, 'systemd ignores a value with control characters: not exported'),
      );
    } else {
      items.push(env(name, value));
    }
  }
  return items;
}

/** `port: N` is PORT in the environment (unless it sets PORT), as the daemon gives it; `auto` cannot be. */
function portItems(ctx: UnitContext): RowItem[] {
  const { port, environment } = ctx.service;
  if (port === undefined) return [];
  if (port === 'auto') {
    return [warn('port', 'auto: systemd cannot pick a free port: PORT is not set')];
  }
  return environment.PORT === undefined ? [env('PORT', String(port))] : [];
}

function backoffItems(ctx: UnitContext): RowItem[] {
  const { policy, backoff } = ctx.service.restart;
  if (policy === 'no') return [];
  const items = [set('Service', 'RestartSec', timeSpan(backoff.initialMs))];
  const steps = restartSteps(backoff.initialMs, backoff.multiplier, backoff.maxMs);
  if (steps > 0 && ctx.systemdVersion >= SYSTEMD_SINCE.restartSteps) {
    items.push(set('Service', 'RestartSteps', String(steps)));
    items.push(set('Service', 'RestartMaxDelaySec', timeSpan(backoff.maxMs)));
    items.push(
      warn(
        'restart.backoff.reset_after',
        'no systemd equivalent: the delay starts again from RestartSec= only after a manual start',
      ),
    );
  } else if (steps > 0) {
    items.push(
      warn(
        'restart.backoff',
        `systemd ${ctx.systemdVersion} has no RestartSteps= (v${SYSTEMD_SINCE.restartSteps}): every restart waits ${timeSpan(backoff.initialMs)}, never growing to ${timeSpan(backoff.maxMs)}`,
      ),
    );
  }
  return items;
}

function limitRow(key: string, directive: string, read: (s: BakedService) => number | null): SystemdRow {
  return {
    key,
    map: (ctx) => {
      const value = read(ctx.service);
      return value === null ? [] : [set('Service', directive, String(value))];
    },
  };
}

function logItems(ctx: UnitContext): RowItem[] {
  const logs = ctx.service.logs;
  const items: RowItem[] = [];
  if (!logs.store.stdout) items.push(set('Service', 'StandardOutput', 'null'));
  if (!logs.store.stderr) items.push(set('Service', 'StandardError', 'null'));
  const journal = 'no systemd equivalent (output goes to the journal, kept by journald.conf)';
  if (logs.maxSizeBytes !== null) {
    items.push(warn('logs.max_size', `${formatBytes(logs.maxSizeBytes)}: ${journal}`));
  }
  if (logs.bufferSize !== 0) items.push(warn('logs.buffer_size', `${logs.bufferSize}: ${journal}`));
  for (const [name, value] of changedRetention(logs)) {
    items.push(warn(`logs.retention.${name}`, `${value}: ${journal}`));
  }
  return items;
}

/** systemd has no health checks: the check and what hangs on it are warned, key by key. */
function healthcheckItems(ctx: UnitContext): RowItem[] {
  const hc = ctx.service.healthcheck;
  if (hc === null) return [];
  const items = [warn('healthcheck', `${describeHealthcheck(hc)}: no systemd equivalent: not exported`)];
  if (hc.onUnhealthy === 'restart') items.push(warn('healthcheck.on_unhealthy', 'restart: not exported'));
  if (hc.startTimeoutMs !== null) {
    items.push(warn('healthcheck.start_timeout', `${timeSpan(hc.startTimeoutMs)}: not exported`));
  }
  return items;
}

function typeItems(ctx: UnitContext): RowItem[] {
  const { service } = ctx;
  if (service.type === 'forking') {
    const items = [set('Service', 'Type', 'forking')];
    if (service.pidFile !== undefined)
      items.push(set('Service', 'PIDFile', escapeSpecifiers(service.pidFile)));
    // Kepler waits start_timeout for the pid file; nothing else in a start is limited.
    const timeout = service.startTimeoutMs === undefined ? 'infinity' : timeSpan(service.startTimeoutMs);
    items.push(set('Service', 'TimeoutStartSec', timeout));
    return items;
  }
  return [
    set('Service', 'Type', ctx.isOneshot(service.name) ? 'oneshot' : 'simple'),
    // Kepler puts no limit on a start (pre_start hooks, a one-shot's whole run).
    set('Service', 'TimeoutStartSec', 'infinity'),
  ];
}

/** systemd refuses Restart=always on a oneshot; Kepler's `always` acts as `on-failure` on one. */
function restartPolicyItems(ctx: UnitContext): RowItem[] {
  const { policy } = ctx.service.restart;
  const oneshot = ctx.isOneshot(ctx.service.name);
  return [set('Service', 'Restart', oneshot && policy === 'always' ? 'on-failure' : policy)];
}

/** Every row, in the order their directives appear in a unit. */
export const SYSTEMD_ROWS: readonly SystemdRow[] = [
  {
    key: '(description)',
    map: (ctx) => [
      set(
        'Unit',
        'Description',
        escapeSpecifiers(`Kepler service ${ctx.service.name} of ${ctx.baked.sourcePath}`),
      ),
    ],
  },
  { key: '(target)', map: (ctx) => [set('Unit', 'PartOf', ctx.targetName)] },
  { key: 'depends_on', map: dependsOnItems },
  { key: 'restart.max_retries', map: startLimitItems },
  { key: 'type', map: typeItems },
  {
    key: 'command',
    map: (ctx) => [
      execItem(
        ctx,
        'command',
        'ExecStart',
        ctx.service.command,
        ctx.service.workingDir,
        ctx.service.environment,
      ),
    ],
  },
  {
    key: 'working_dir',
    map: (ctx) => [set('Service', 'WorkingDirectory', escapeSpecifiers(ctx.service.workingDir))],
  },
  { key: 'user', map: userItems },
  {
    key: 'group',
    map: (ctx) =>
      ctx.service.group === null ? [] : [set('Service', 'Group', escapeSpecifiers(ctx.service.group))],
  },
  { key: 'environment', map: environmentItems },
  { key: 'port', map: portItems },
  {
    key: 'hostname',
    map: (ctx) =>
      ctx.service.hostname === undefined
        ? []
        : [
            warn(
              'hostname',
              `${ctx.service.hostname}: Kepler's reverse proxy has no systemd equivalent: not exported`,
            ),
          ],
  },
  { key: 'restart.policy', map: restartPolicyItems },
  { key: 'restart.backoff', map: backoffItems },
  limitRow('limits.memory', 'LimitAS', (s) => s.limits.memoryBytes),
  limitRow('limits.cpu_time', 'LimitCPU', (s) => s.limits.cpuTimeSec),
  limitRow('limits.max_fds', 'LimitNOFILE', (s) => s.limits.maxFds),
  { key: 'stop_signal', map: (ctx) => [set('Service', 'KillSignal', ctx.service.stopSignal)] },
  {
    key: 'stop_grace_period',
    map: (ctx) => [set('Service', 'TimeoutStopSec', timeSpan(ctx.service.stopGracePeriodMs))],
  },
  ...HOOK_ROWS,
  {
    // After the pre_stop hook's ExecStop= line, as Kepler runs the hook first.
    key: 'stop_command',
    map: (ctx) =>
      ctx.service.stopCommand === undefined
        ? []
        : [
            execItem(
              ctx,
              'stop_command',
              'ExecStop',
              ctx.service.stopCommand,
              ctx.service.workingDir,
              ctx.service.environment,
            ),
          ],
  },
  { key: 'healthcheck', map: healthcheckItems },
  {
    key: 'restart.watch',
    map: (ctx) =>
      ctx.service.restart.watch.length === 0
        ? []
        : [
            warn(
              'restart.watch',
              `${ctx.service.restart.watch.join(', ')}: no systemd equivalent: not exported`,
            ),
          ],
  },
  { key: 'logs', map: logItems },
  {
    key: 'priority',
    map: (ctx) =>
      ctx.service.priority === 0
        ? []
        : [
            warn(
              'priority',
              `${ctx.service.priority}: systemd starts units that do not depend on each other together`,
            ),
          ],
  },
];
