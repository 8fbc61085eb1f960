/** The health check row of the Nomad mapping: a Consul service for the group's main task, with the check. */
import { formatDuration } from '@kepler/config/grammar';
import { notFoundText } from '../resolveExecutable.js';
import { type GroupContext, type GroupDraft, ns, reservePort } from './groupDraft.js';
import type { NomadCheck } from './nomadJob.js';
import { SERVICE_PORT_LABEL } from './portRows.js';

/** Nomad's floor (nomad/structs) for a check's interval and timeout. */
export const NOMAD_MIN_CHECK_MS = 1000;

/** The port label of the port a health check probes. */
export const CHECK_PORT_LABEL = 'healthcheck';

function checkOf(ctx: GroupContext, draft: GroupDraft): NomadCheck | null {
  const hc = ctx.service.healthcheck;
  if (hc === null) return null;
  const interval = Math.max(NOMAD_MIN_CHECK_MS, hc.intervalMs);
  const timeout = Math.max(NOMAD_MIN_CHECK_MS, hc.timeoutMs);
  if (hc.intervalMs < NOMAD_MIN_CHECK_MS) {
    const given = formatDuration(hc.intervalMs);
    draft.warn('healthcheck.interval', `${given}: Consul's shortest check interval is 1s: raised to 1s`);
  }
  if (hc.timeoutMs < NOMAD_MIN_CHECK_MS) {
    const given = formatDuration(hc.timeoutMs);
    draft.warn('healthcheck.timeout', `${given}: Consul's shortest timeout is 1s: raised to 1s`);
  }
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
      draft.warn(
        'healthcheck.test',
        `${notFoundText(probe.test[0] ?? '', ctx.service.workingDir)}: named as written`,
      );
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

/** `healthcheck`: a Consul service for a registered service (checked or waited for), with its check if any. */
export function healthcheckRow(ctx: GroupContext, draft: GroupDraft): void {
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
