import type { BakedConfig } from '@kepler/config';
import type { SnapshotNote, StartOptions, StartResult } from '@kepler/protocol';
import { TERMINAL_STATUSES } from '@kepler/protocol';
import type { ConfigActor, StartPlan } from '../../config/ConfigActor.js';
import type { ConfigRegistry } from '../../config/ConfigRegistry.js';
import { startupCluster } from '../../config/dependencies/dependencies.js';
import { FollowScope } from './FollowScope.js';
import type { Handler, RequestContext } from './HandlerTable.js';
import { snapshotNote } from './snapshotNote.js';
import { waitForCluster } from './waitForCluster.js';

/** Log lines attached to a `start --wait` failure. */
const FAILURE_LOG_LINES = 10;

/** `start`: starts the named services (or all) with their dependencies, in the request's mode. */
export function startHandler(registry: ConfigRegistry): Handler<'start'> {
  return async (req, ctx) => {
    const actor = await registry.get(req.config);
    const extras = staleness(actor, req.config.overlays);
    return observe(
      actor,
      req,
      ctx,
      async (onPlanned) => {
        const r = await actor.start(req.services, { onPlanned });
        return { started: r.started, alreadyRunning: r.alreadyRunning, targets: r.targets };
      },
      extras,
    );
  };
}

/** `restart`: restarts the named services (or all), in the request's mode. */
export function restartHandler(registry: ConfigRegistry): Handler<'restart'> {
  return async (req, ctx) => {
    const actor = await registry.get(req.config);
    const extras = staleness(actor, req.config.overlays);
    return observe(
      actor,
      req,
      ctx,
      async (onPlanned) => {
        // The plan names the `restart: true` dependents restarted with them: reported and waited for too.
        let restarted: readonly string[] = [];
        await actor.restart(req.services, {
          onPlanned: (plan) => {
            restarted = plan.started;
            onPlanned(plan);
          },
        });
        return { started: [...restarted], alreadyRunning: [], targets: [...restarted] };
      },
      extras,
    );
  };
}

/** What an operation adds to `observe`: the snapshot its services come from (`up`), its staleness. */
export interface ObserveExtras {
  /** The snapshot the followed names resolve in (`up`: the new one); default the actor's. */
  readonly baked?: BakedConfig;
  /** Sent on `begun` and on the result: the snapshot is stale (start, restart). */
  readonly stale?: boolean;
  /** Sent on `begun` and on the result: what is stale, or the snapshot's other overlays (start, restart). */
  readonly snapshot?: SnapshotNote;
}

/** The staleness extras of start and restart: the request names `requested` overlays (none: undefined). */
function staleness(actor: ConfigActor, requested: readonly string[] | undefined): ObserveExtras {
  const snapshot = snapshotNote(actor, requested ?? []);
  if (snapshot === undefined) return { stale: false };
  return { stale: snapshot.changed.length > 0, snapshot };
}

/**
 * Runs a start or restart and, per mode, returns at once (`detach`), once the startup cluster is
 * ready or one of it failed (`wait`), or once every service is terminal (`follow`), forwarding status
 * changes (and, in follow mode, log lines) as events meanwhile.
 */
export async function observe(
  actor: ConfigActor,
  opts: StartOptions,
  ctx: RequestContext,
  begin: (
    onPlanned: (plan: StartPlan) => void,
  ) => Promise<{ started: string[]; alreadyRunning: string[]; targets: string[] }>,
  extras: ObserveExtras = {},
): Promise<StartResult> {
  const unsubscribe: Array<() => void> = [];
  const stale = {
    ...(extras.stale ? { stale: true } : {}),
    ...(extras.snapshot ? { snapshot: extras.snapshot } : {}),
  };
  // Follow mode shows only the named services and their dependencies, after a `begun` event.
  const scope =
    opts.mode === 'follow'
      ? new FollowScope(extras.baked ?? actor.baked, opts.services, (e) =>
          ctx.emit(e.type === 'begun' ? { ...e, ...stale } : e),
        )
      : null;
  if (opts.mode !== 'detach') {
    unsubscribe.push(actor.subscribe((e) => (scope ? scope.forward(e) : ctx.emit(e))));
    if (scope) {
      unsubscribe.push(
        actor.logs.follow({ services: opts.services }, (lines) =>
          scope.forward({ type: 'logLines', lines: actor.forDisplay(lines) }),
        ),
      );
    }
  }
  try {
    const begun = await begin((plan) => scope?.begin(plan));
    scope?.begin(begun);
    const targets = new Set(begun.targets);
    const result = (extra: Partial<StartResult> = {}): StartResult => ({
      started: begun.started,
      alreadyRunning: begun.alreadyRunning,
      deferred: [],
      services: actor.ps().filter((s) => targets.has(s.name)),
      ...stale,
      ...extra,
    });
    if (opts.mode === 'detach') return result();
    if (opts.mode === 'follow') {
      const cancelled = new AbortController();
      void ctx.cancelled.then(() => cancelled.abort());
      const quiet = scope!.quiescenceSet(begun.targets);
      await actor.untilEvery(quiet, (n) => isQuiet(actor, n), cancelled.signal);
      // A post_exit hook runs after its service is already terminal: its output belongs to the run.
      await Promise.race([Promise.all(quiet.map((n) => actor.services.get(n)!.postExitHook)), ctx.cancelled]);
      // A stop (Ctrl+C) runs post_stop hooks after its services are terminal: their output too.
      await Promise.race([actor.operationsDone(), ctx.cancelled]);
      if (!ctx.isCancelled()) ctx.emit({ type: 'quiescent' });
      return result();
    }
    const cluster = startupCluster(actor.baked, targets);
    const deferred = begun.targets.filter((n) => !cluster.has(n));
    const outcome = await waitForCluster(actor, [...cluster], opts.timeoutMs ?? null, ctx);
    if (outcome.ok) {
      ctx.emit({ type: 'ready', deferred });
      return result({ deferred });
    }
    const lastLines = outcome.service
      ? actor.forDisplay(
          actor.readLogs({ services: [outcome.service], tail: FAILURE_LOG_LINES, noHook: false }),
        )
      : [];
    return result({ deferred, failure: { service: outcome.service, reason: outcome.reason, lastLines } });
  } finally {
    for (const off of unsubscribe) off();
  }
}

/** A service with nothing running and nothing pending: quiescence counts these. */
function isQuiet(actor: ConfigActor, name: string): boolean {
  const rt = actor.services.get(name)!;
  return TERMINAL_STATUSES.has(rt.state.status) && rt.desired === 'stop';
}
