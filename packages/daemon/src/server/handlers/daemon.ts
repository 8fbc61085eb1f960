import { PROTOCOL_VERSION } from '@kepler/protocol';
import type { ConfigRegistry } from '../../config/ConfigRegistry.js';
import type { DaemonInfo, Handler } from './HandlerTable.js';

/** `hello`: the protocol and daemon versions, checked by the client before anything else. */
export function helloHandler(daemon: DaemonInfo): Handler<'hello'> {
  return async () => ({ protocol: PROTOCOL_VERSION, version: daemon.version, pid: process.pid });
}

/** `daemon status`: the daemon's identity and uptime, and a summary of each loaded config. */
export function statusHandler(registry: ConfigRegistry, daemon: DaemonInfo): Handler<'status'> {
  return async () => ({
    pid: process.pid,
    version: daemon.version,
    protocol: PROTOCOL_VERSION,
    startedAt: daemon.startedAt.toISOString(),
    uptimeMs: Date.now() - daemon.startedAt.getTime(),
    stateDir: daemon.stateDir,
    configs: registry.summaries(),
    containment: daemon.containment(),
  });
}

/** `daemon stop`: stops every service, then the daemon. */
export function shutdownHandler(daemon: DaemonInfo): Handler<'shutdown'> {
  return async () => ({ stoppedConfigs: await daemon.shutdown() });
}

/** `prune`: removes the state of configs with nothing running or whose file is gone (`dryRun`: lists them). */
export function pruneHandler(registry: ConfigRegistry): Handler<'prune'> {
  return async (req) => {
    const r = await registry.prune({ force: req.force, dryRun: req.dryRun });
    return { ...r, dryRun: req.dryRun === true };
  };
}
