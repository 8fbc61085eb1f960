import { AdhocConfigs } from '../../config/adhoc/AdhocConfigs.js';
import type { ConfigRegistry } from '../../config/ConfigRegistry.js';
import { adhocAddHandler, adhocRemoveHandler } from './adhoc.js';
import { helloHandler, pruneHandler, shutdownHandler, statusHandler } from './daemon.js';
import { downHandler } from './down.js';
import type { DaemonInfo, HandlerTable } from './HandlerTable.js';
import { inspectHandler } from './inspect.js';
import { logsHandler } from './logs.js';
import { psHandler } from './ps.js';
import { recreateHandler } from './recreate.js';
import { restartHandler, startHandler } from './startModes.js';
import { stopHandler } from './stop.js';
import { upHandler } from './up.js';
import { usageHandlers } from './usage.js';

/** The daemon's handler table: each request type and the file of its handler. */
export function createHandlers(registry: ConfigRegistry, daemon: DaemonInfo): HandlerTable {
  const adhoc = new AdhocConfigs(registry, daemon.stateDir);
  const usage = usageHandlers(registry, daemon);
  return {
    hello: helloHandler(daemon), // daemon.ts
    status: statusHandler(registry, daemon), // daemon.ts
    shutdown: shutdownHandler(daemon), // daemon.ts
    prune: pruneHandler(registry), // daemon.ts
    ps: psHandler(registry, daemon), // ps.ts
    start: startHandler(registry), // startModes.ts (detach, wait, follow)
    restart: restartHandler(registry), // startModes.ts
    stop: stopHandler(registry), // stop.ts
    recreate: recreateHandler(registry), // recreate.ts
    up: upHandler(registry), // up.ts (bake afresh, apply the plan, then start's modes)
    down: downHandler(registry), // down.ts
    logs: logsHandler(registry, daemon), // logs.ts (stored lines, and --follow)
    adhocAdd: adhocAddHandler(adhoc), // adhoc.ts (kepler run: the caller's ad-hoc config)
    adhocRemove: adhocRemoveHandler(adhoc), // adhoc.ts (kepler rm)
    top: usage.top, // usage.ts (one snapshot, or one a second with follow)
    metrics: usage.metrics, // usage.ts (the Prometheus text)
    inspect: inspectHandler(registry), // inspect.ts (one service's post-mortem)
  };
}
