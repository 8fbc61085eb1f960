import type {
  LogLine,
  Requests,
  RequestType,
  ResultOf,
  ServiceInfo,
  StartOptions,
  StartResult,
  StreamEvent,
} from '@kepler/protocol';
import { PROTOCOL_VERSION, STARTED_STATUSES, TERMINAL_STATUSES } from '@kepler/protocol';
import type { ConfigActor, StartPlan } from '../config/ConfigActor.js';
import type { ConfigRegistry } from '../config/ConfigRegistry.js';
import { startupCluster } from '../config/dependencies/dependencies.js';
import { watchEvery } from '../config/watchEvery.js';
import { formatMs } from '../formatMs.js';
import { inBatches } from '../logs/index.js';
import type { ServiceState } from '../service/serviceState.js';
import { FollowScope } from './FollowScope.js';
import { psResult } from './psResult.js';

/** What a handler gets besides its request: a way to push events, and the client's cancellation. */
export interface RequestContext {
  emit(event: StreamEvent): void;
  /** Resolves once the client has read enough of what was emitted (the socket drained), or is gone. */
  drained(): Promise<void>;
  /** Resolves when the client cancels the request or disconnects. */
  readonly cancelled: Promise<void>;
  isCancelled(): boolean;
}

export type Handler<T extends RequestType> = (req: Requests[T], ctx: RequestContext) => Promise<ResultOf[T]>;
/** One handler per request type: a request without a handler does not compile. */
export type HandlerTable = { [T in RequestType]: Handler<T> };

export interface DaemonInfo {
  version: string;
  startedAt: Date;
  stateDir: string;
  /** Stops every service, then the daemon. */
  shutdown(): Promise<number>;
  /** Resolves once a shutdown has stopped every service: log follows end then, with a response. */
  readonly closing: Promise<void>;
  /** daemon.log */
  log?(line: string): void;
}

/** A logLines event: at most this many lines and about this many bytes (well inside a 16 MiB frame). */
const LOG_BATCH = { maxLines: 1000, maxBytes: 4 * 1024 * 1024 };
/** Log lines attached to a `start --wait` failure. */
const FAILURE_LOG_LINES = 10;

export function createHandlers(registry: ConfigRegistry, daemon: DaemonInfo): HandlerTable {
  return {
    hello: async () => ({ protocol: PROTOCOL_VERSION, version: daemon.version, pid: process.pid }),

    status: async () => ({
      pid: process.pid,
      version: daemon.version,
      protocol: PROTOCOL_VERSION,
      startedAt: daemon.startedAt.toISOString(),
      uptimeMs: Date.now() - daemon.startedAt.getTime(),
      stateDir: daemon.stateDir,
      configs: registry.summaries(),
    }),

    shutdown: async () => ({ stoppedConfigs: await daemon.shutdown() }),

    ps: async (req) => {
      if (req.all || !req.config) return psResult(registry.list(), daemon.log ?? (() => undefined));
      // Reading never loads: a config the daemon never saw stays unknown (no bake, no state dir).
      const actor = await registry.getLoaded(req.config);
      return actor ? psResult([actor], daemon.log ?? (() => undefined)) : { services: [], loaded: false };
    },

    start: async (req, ctx) => {
      const actor = await registry.get(req.config);
      return observe(actor, req, ctx, async (onPlanned) => {
        const r = await actor.start(req.services, { onPlanned });
        return { started: r.started, alreadyRunning: r.alreadyRunning, targets: r.targets };
      });
    },

    restart: async (req, ctx) => {
      const actor = await registry.get(req.config);
      return observe(actor, req, ctx, async (onPlanned) => {
        const r = await actor.restart(req.services, { onPlanned });
        return { started: r.restarted, alreadyRunning: [], targets: r.restarted };
      });
    },

    stop: async (req) => {
      const actor = await registry.get(req.config);
      const r = await actor.stop(req.services, { signal: req.signal, clean: req.clean });
      if (req.clean && req.services.length === 0) {
        registry.forget(actor);
        await actor.remove();
      }
      return r;
    },

    recreate: async (req) => {
      const actor = await registry.recreate(req.config);
      return { hash: actor.baked.hash, services: [...actor.baked.serviceOrder] };
    },

    logs: async (req, ctx) => {
      const actor = await registry.getLoaded(req.config);
      if (!actor) return { lines: 0, loaded: false };
      const query = { services: req.services, noHook: req.noHook };
      const tail = req.follow && req.head === undefined && req.tail === undefined ? 10 : req.tail;
      if (!req.follow) {
        // Streamed at the client's pace: a log of any size, never all of it in memory or in the socket.
        let sent = 0;
        for (const batch of actor.readLogBatches({ ...query, head: req.head, tail }, LOG_BATCH)) {
          if (ctx.isCancelled()) break;
          ctx.emit({ type: 'logLines', lines: actor.forDisplay(batch) });
          sent += batch.length;
          await ctx.drained();
        }
        // Nothing stored because retention cleared it: the client says so instead of printing nothing.
        const cleared = actor.logs.clearedWithoutLines(
          req.services.length > 0 ? req.services : actor.baked.serviceOrder,
        );
        return cleared.length > 0 ? { lines: sent, cleared } : { lines: sent };
      }
      // Follow: the last lines (bounded by --tail) and the subscription in one tick, so no captured
      // line falls between the two.
      const lines = actor.readLogs({ ...query, head: req.head, tail });
      for (const batch of inBatches(lines, LOG_BATCH))
        ctx.emit({ type: 'logLines', lines: actor.forDisplay(batch) });
      let count = lines.length;
      // Subscribed in the same tick as the read: no captured line falls between the two.
      const off = actor.logs.follow(query, (batch: LogLine[]) => {
        count += batch.length;
        ctx.emit({ type: 'logLines', lines: actor.forDisplay(batch) });
      });
      // Until the client cancels, or the daemon stops (after the services' last lines were sent).
      await Promise.race([ctx.cancelled, daemon.closing]);
      off();
      return { lines: count };
    },

    prune: async (req) => {
      const r = await registry.prune({ force: req.force, dryRun: req.dryRun });
      return { ...r, dryRun: req.dryRun === true };
    },
  };
}

/**
 * Runs a start or restart and, per mode, returns at once (`detach`), once the startup cluster is
 * ready or one of it failed (`wait`), or once every service is terminal (`follow`), forwarding status
 * changes (and, in follow mode, log lines) as events meanwhile.
 */
async function observe(
  actor: ConfigActor,
  opts: StartOptions,
  ctx: RequestContext,
  begin: (
    onPlanned: (plan: StartPlan) => void,
  ) => Promise<{ started: string[]; alreadyRunning: string[]; targets: string[] }>,
): Promise<StartResult> {
  const unsubscribe: Array<() => void> = [];
  // Follow mode shows only the named services and their dependencies, after a `begun` event.
  const scope =
    opts.mode === 'follow' ? new FollowScope(actor.baked, opts.services, (e) => ctx.emit(e)) : null;
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

/** Ready: healthy when it has a health check, else started; a one-shot that exited 0 counts as done. */
function readiness(actor: ConfigActor, name: string): 'ready' | 'pending' | { failed: string } {
  const rt = actor.services.get(name)!;
  const s = rt.state;
  if (s.status === 'failed') return { failed: s.reason ?? 'failed' };
  if (s.status === 'exited') return s.exitCode === 0 ? 'ready' : { failed: `exited with code ${s.exitCode}` };
  if (s.status === 'stopped' && rt.desired === 'stop') return { failed: 'stopped' };
  // As docker compose --wait, a service whose health check has given up on it fails the wait; unless it
  // was healthy since it started: a blip (a dependency restarting) is waited out, up to the timeout.
  if (s.status === 'unhealthy') return s.wasHealthy ? 'pending' : { failed: unhealthyReason(s) };
  if (rt.spec.healthcheck) return s.status === 'healthy' ? 'ready' : 'pending';
  return STARTED_STATUSES.has(s.status) ? 'ready' : 'pending';
}

function unhealthyReason(s: ServiceState): string {
  const output = s.lastHealthOutput?.split('\n')[0];
  return `unhealthy after ${s.healthFailures} failed checks${output ? `: ${output}` : ''}`;
}

/** Tells the client why the wait goes on for a service that turned unhealthy after being healthy. */
function noteRecovering(actor: ConfigActor, name: string, ctx: RequestContext): void {
  const s = actor.services.get(name)!.state;
  if (s.status !== 'unhealthy' || !s.wasHealthy) return;
  ctx.emit({
    type: 'progress',
    service: name,
    message: `${unhealthyReason(s)}; it was healthy before: waiting for it to recover`,
  });
}

async function waitForCluster(
  actor: ConfigActor,
  cluster: string[],
  timeoutMs: number | null,
  ctx: RequestContext,
): Promise<{ ok: true } | { ok: false; service: string | null; reason: string }> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | null = null;
    let settled = false;
    let stopWatching: () => void = () => undefined;
    let offRecovering: () => void = () => undefined;
    const finish = (v: { ok: true } | { ok: false; service: string | null; reason: string }) => {
      if (settled) return;
      settled = true;
      stopWatching();
      offRecovering();
      if (timer) clearTimeout(timer);
      resolve(v);
    };
    const judge = (name: string) => {
      const r = readiness(actor, name);
      return typeof r === 'object' ? r : r === 'ready';
    };
    stopWatching = watchEvery(
      (l) => actor.subscribe(l),
      cluster,
      judge,
      (outcome) =>
        finish(outcome.ok ? outcome : { ok: false, service: outcome.service, reason: outcome.failure }),
    );
    if (settled) return;
    // A service that was healthy and turns unhealthy is waited for: say so (readiness keeps it pending).
    const inCluster = new Set(cluster);
    for (const name of cluster) noteRecovering(actor, name, ctx);
    offRecovering = actor.subscribe((e) => {
      if (e.type === 'serviceStatusChanged' && e.status === 'unhealthy' && inCluster.has(e.service))
        noteRecovering(actor, e.service, ctx);
    });
    if (timeoutMs !== null) {
      timer = setTimeout(() => {
        const waiting = cluster.find((n) => readiness(actor, n) === 'pending') ?? null;
        const info: ServiceInfo | undefined = waiting
          ? actor.ps().find((s) => s.name === waiting)
          : undefined;
        const state = waiting ? actor.services.get(waiting)!.state : null;
        const detail =
          state?.status === 'unhealthy'
            ? unhealthyReason(state)
            : `${info?.status}${info?.reason ? `: ${info.reason}` : ''}`;
        finish({
          ok: false,
          service: waiting,
          reason: `timed out after ${formatMs(timeoutMs)}${info ? ` waiting for ${info.name} (${detail})` : ''}`,
        });
      }, timeoutMs);
    }
    void ctx.cancelled.then(() => finish({ ok: false, service: null, reason: 'cancelled' }));
  });
}
