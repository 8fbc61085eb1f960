/** The network rows of the Nomad mapping: the service's own port (a port of the group) and its hostname. */
import { dynamicPort, type GroupContext, type GroupDraft, reservePort, sortedEnv } from './groupDraft.js';

/** The port label of the service's own `port`. */
export const SERVICE_PORT_LABEL = 'port';

/**
 * `port: N` is a fixed port of the group, `port: auto` one Nomad picks; either is PORT in the
 * environment of every task of the group (unless the service sets PORT), as the daemon gives it.
 */
export function portRow(ctx: GroupContext, draft: GroupDraft): void {
  const { port, environment } = ctx.service;
  if (port === undefined) return;
  if (port === 'auto') dynamicPort(draft, SERVICE_PORT_LABEL);
  else reservePort(draft, SERVICE_PORT_LABEL, port);
  if (environment.PORT !== undefined) return;
  // Nomad puts the port it picked in NOMAD_PORT_<label> and interpolates it when the task starts.
  draft.groupEnv.PORT = port === 'auto' ? `\${NOMAD_PORT_${SERVICE_PORT_LABEL}}` : String(port);
  draft.main.Env = sortedEnv({ ...draft.main.Env, ...draft.groupEnv });
}

/** Kepler's reverse proxy routes `hostname`; a Nomad cluster has its own ingress. */
export function hostnameRow(ctx: GroupContext, draft: GroupDraft): void {
  if (ctx.service.hostname !== undefined) {
    draft.warn(
      'hostname',
      `${ctx.service.hostname}: route it with your ingress (Kepler's reverse proxy): not exported`,
    );
  }
}
