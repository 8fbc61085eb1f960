import type { LogsResult, Requests } from '@kepler/protocol';
import type { ConfigActor } from '../../config/ConfigActor.js';
import type { ConfigRegistry } from '../../config/ConfigRegistry.js';
import { type BatchLimits, inBatches, type LogReadQuery } from '../../logs/index.js';
import type { DaemonInfo, Handler, RequestContext } from './HandlerTable.js';

type LogsRequest = Requests['logs'];

/** A logLines event: at most this many lines and about this many bytes (well inside a 16 MiB frame). */
const LOG_BATCH: BatchLimits = { maxLines: 1000, maxBytes: 4 * 1024 * 1024 };
/**
 * Lines `--follow` sends before the live ones when the request names no count and no `since` (the CLI
 * sends one); with `since`, every stored line of the window comes first, as `docker compose logs` does.
 */
const FOLLOW_DEFAULT_TAIL = 10;

/**
 * `kepler logs`: stored lines (`sendStored`), or with `--follow` the last stored lines and then live
 * ones (`followLive`). Stored lines are read from the config's `logs/` files (logs/mergedRead.ts); live
 * lines come from the config's `LogStore.follow()`, that is logs/LogFollowers.ts, to which each
 * `CaptureSink` (logs/CaptureSink.ts) publishes what it reads from a process's output pipe.
 *
 * A config the daemon has not loaded is not loaded here: the result says so.
 */
export function logsHandler(registry: ConfigRegistry, daemon: DaemonInfo): Handler<'logs'> {
  return async (req, ctx) => {
    const actor = await registry.getLoaded(req.config);
    if (!actor) return { lines: 0, loaded: false };
    if (!req.follow) return sendStored(actor, req, ctx);
    return followLive(actor, req, ctx, daemon.closing);
  };
}

function queryOf(req: LogsRequest, tail: number | undefined): LogReadQuery {
  return {
    services: req.services,
    noHook: req.noHook,
    head: req.head,
    tail,
    since: req.since,
    until: req.until,
  };
}

/** Stored lines, streamed at the client's pace: a log of any size, never all of it in memory or in the socket. */
async function sendStored(actor: ConfigActor, req: LogsRequest, ctx: RequestContext): Promise<LogsResult> {
  let sent = 0;
  for (const batch of actor.readLogBatches(queryOf(req, req.tail), LOG_BATCH)) {
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

/**
 * `--follow`: the last stored lines (bounded by `--tail`, within `--since`), then every line captured
 * from then on, until the client cancels or the daemon stops (after the services' last lines were sent),
 * or the config is unloaded (`kepler down`, `stop --clean`): the result then says it is not loaded, as
 * it would to a new `logs`, since a later start loads a new actor this follower never hears from.
 */
async function followLive(
  actor: ConfigActor,
  req: LogsRequest,
  ctx: RequestContext,
  closing: Promise<void>,
): Promise<LogsResult> {
  const tail =
    req.head === undefined && req.tail === undefined && req.since === undefined
      ? FOLLOW_DEFAULT_TAIL
      : req.tail;
  const lines = actor.readLogs(queryOf(req, tail));
  for (const batch of inBatches(lines, LOG_BATCH))
    ctx.emit({ type: 'logLines', lines: actor.forDisplay(batch) });
  let count = lines.length;
  let unloaded = false;
  let off = (): void => {};
  const ended = new Promise<void>((resolve) => {
    // Subscribed in the same tick as the read: no captured line falls between the two.
    off = actor.logs.follow(
      { services: req.services, noHook: req.noHook },
      (batch) => {
        count += batch.length;
        ctx.emit({ type: 'logLines', lines: actor.forDisplay(batch) });
      },
      () => {
        unloaded = true;
        resolve();
      },
    );
  });
  await Promise.race([ctx.cancelled, closing, ended]);
  off();
  return unloaded ? { lines: count, loaded: false } : { lines: count };
}
