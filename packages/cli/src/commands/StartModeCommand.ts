// The light entry point: a duration needs no YAML parser or Lua.

import { parseDuration } from '@kepler/config/grammar';
import {
  type ConfigRef,
  type DaemonClient,
  MAX_WAIT_MS,
  type SnapshotNote,
  type StartResult,
  type StreamEvent,
  type UpPlan,
} from '@kepler/protocol';
import { Option } from 'clipanion';
import { CliError, EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, UsageError } from '../errors.js';
import { colorEnabled } from '../format/color.js';
import { LogPrinter } from '../format/LogPrinter.js';
import { StartProgress } from '../format/StartProgress.js';
import { fileNamesOf, snapshotLines } from '../format/snapshotNotes.js';
import { followHeader, outcomeLines, type StartVerbs } from '../format/startMessages.js';
import { staleLine } from '../format/upPlan.js';
import { onInterrupt } from '../interrupts.js';
import { ConfigCommand } from './BaseCommand.js';

/** Extra time the CLI gives the daemon past `--timeout` before it gives up on its answer itself. */
export const WAIT_CLIENT_GRACE_MS = 5_000;
/** After a Ctrl+C stop completes, how long the foreground stream may take to end on its own. */
export const FOLLOW_END_GRACE_MS = 5_000;

/** The validated flags of `start` / `restart`. */
export interface StartFlags {
  readonly mode: 'detach' | 'wait' | 'follow';
  readonly timeoutMs: number | undefined;
}

/**
 * Checks the flag combination of `start` / `restart` and converts `--timeout`: `--wait` requires `-d`,
 * `--timeout` requires `--wait` and must be a duration (`30s`, `5m`).
 *
 * @throws UsageError naming the flag.
 */
export async function validateStartFlags(flags: {
  readonly detach: boolean;
  readonly wait: boolean;
  readonly timeout: string | undefined;
}): Promise<StartFlags> {
  if (flags.wait && !flags.detach) throw new UsageError('--wait requires -d/--detach (use: -d --wait)');
  if (flags.timeout !== undefined && !flags.wait)
    throw new UsageError('--timeout requires --wait (use: -d --wait --timeout DURATION)');
  let timeoutMs: number | undefined;
  if (flags.timeout !== undefined) {
    let problem = `"${flags.timeout}" is not a duration (use e.g. 500ms, 30s, 5m, 1h)`;
    try {
      timeoutMs = parseDuration(flags.timeout);
    } catch (error) {
      if (error instanceof Error) problem = error.message;
    }
    if (timeoutMs === undefined || !Number.isFinite(timeoutMs)) throw new UsageError(`--timeout: ${problem}`);
    if (timeoutMs <= 0) throw new UsageError(`--timeout: must be longer than 0 (got "${flags.timeout}")`);
    // The protocol's limit (a Node timer past 2^31-1 ms fires at once; the CLI's own adds
    // WAIT_CLIENT_GRACE_MS on top).
    if (timeoutMs > MAX_WAIT_MS) throw new UsageError(`--timeout: at most 24d (got "${flags.timeout}")`);
  }
  return { mode: flags.wait ? 'wait' : flags.detach ? 'detach' : 'follow', timeoutMs };
}

export type { StartVerbs } from '../format/startMessages.js';

/**
 * Shared body of `kepler start` and `kepler restart`: the three modes.
 * - `-d`: send the request in `detach` mode, print which services were (re)started or already running.
 * - `-d --wait`: `wait` mode; show progress (a live block on a TTY, plain lines on a pipe); exit 0 with
 *   `N services ready` once the startup cluster is ready, 1 with the failing service, its reason and last
 *   log lines otherwise. Ctrl+C leaves the services starting and exits 130.
 * - no flag: `follow` mode, like `docker compose up`: status and log lines until every service is
 *   terminal (exit 0, or 1 when any ended `failed`). The first Ctrl+C stops the services gracefully and
 *   waits; the second exits 130 at once.
 */
export abstract class StartModeCommand extends ConfigCommand {
  /** Needs a daemon: starts one when none runs (see BaseCommand.connect). */
  protected override readonly startsDaemon = true;

  services = Option.Rest({ name: 'service' });

  detach = Option.Boolean('-d,--detach', false, {
    description: 'Return at once; services start in the background',
  });

  wait = Option.Boolean('--wait', false, {
    description: 'With -d: block until the startup cluster is ready (or one of it fails)',
  });

  timeout = Option.String('--timeout', {
    description: 'With --wait: give up after this long (e.g. 30s, 5m; at most 24d)',
  });

  protected abstract readonly requestType: 'start' | 'restart' | 'up';
  protected abstract readonly verbs: StartVerbs;

  /** Fields the request adds to the shared ones (`up`: `dryRun`). */
  protected extraRequest(): Record<string, unknown> {
    return {};
  }

  /** `up`'s plan, sent first in wait and follow modes and on the detach result. */
  protected onPlan(_plan: UpPlan): void {}

  private staleSaid = false;

  /**
   * Says once what the daemon noted about the running snapshot (see `snapshotLines`): it was baked
   * with other overlays than `-f` names, files it was baked from changed. An older daemon sends only
   * `stale`: then the config is named (see `staleLine`).
   */
  protected sayStale(config: ConfigRef, said: { stale?: boolean; snapshot?: SnapshotNote }): void {
    if (this.staleSaid) return;
    const names = fileNamesOf(this.files, config, process.cwd());
    const lines = said.snapshot
      ? snapshotLines(said.snapshot, names)
      : said.stale
        ? [staleLine([names.config])]
        : [];
    if (lines.length === 0) return;
    this.staleSaid = true;
    for (const line of lines) this.err(`${line}\n`);
  }

  override async execute(): Promise<number> {
    const flags = await validateStartFlags({ detach: this.detach, wait: this.wait, timeout: this.timeout });
    const config = await this.configRef();
    const client = await this.connect();
    try {
      if (flags.mode === 'detach') return await this.runDetach(client, config);
      if (flags.mode === 'wait') return await this.runWait(client, config, flags.timeoutMs);
      return await this.runFollow(client, config);
    } finally {
      client.close();
    }
  }

  protected request(config: ConfigRef, mode: StartFlags['mode'], timeoutMs?: number) {
    return {
      type: this.requestType,
      config,
      services: this.services,
      mode,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...this.extraRequest(),
    } as const;
  }

  private async runDetach(client: DaemonClient, config: ConfigRef): Promise<number> {
    const result: StartResult & { plan?: UpPlan } = await client.request(this.request(config, 'detach'));
    if (result.plan) this.onPlan(result.plan);
    this.sayStale(config, result);
    for (const line of outcomeLines(result, this.services, this.verbs, { listStarted: true }))
      this.out(`${line}\n`);
    return EXIT_OK;
  }

  private async runWait(
    client: DaemonClient,
    config: ConfigRef,
    timeoutMs: number | undefined,
  ): Promise<number> {
    const progress = new StartProgress(this.context.stdout, { live: this.stdoutIsTTY, color: this.color });
    const stream = client.stream(this.request(config, 'wait', timeoutMs), (event: StreamEvent) =>
      event.type === 'plan' ? this.onPlan(event.plan) : progress.onEvent(event),
    );
    let interrupted = false;
    const outcome = new Promise<'interrupted' | 'timeout'>((resolve) => {
      const off = onInterrupt(() => {
        interrupted = true;
        off();
        resolve('interrupted');
      });
      stream.result.finally(off).catch(() => {});
      if (timeoutMs !== undefined) {
        const timer = setTimeout(() => resolve('timeout'), timeoutMs + WAIT_CLIENT_GRACE_MS);
        stream.result.finally(() => clearTimeout(timer)).catch(() => {});
      }
    });
    const first = await Promise.race([stream.result, outcome]);
    if (first === 'interrupted' || first === 'timeout') {
      stream.result.catch(() => {});
      stream.cancel();
      if (interrupted) {
        this.err('Interrupted: the services keep starting in the background (see: kepler ps)\n');
        return EXIT_INTERRUPTED;
      }
      throw new CliError(
        'START_FAILED',
        `No answer from the daemon within ${this.timeout} (+${WAIT_CLIENT_GRACE_MS / 1000}s)`,
      );
    }
    this.sayStale(config, first);
    return this.reportWaitResult(first);
  }

  private reportWaitResult(result: StartResult): number {
    if (result.failure) {
      const who = result.failure.service ?? 'startup';
      // A timeout is not the service's failure: say what happened instead of "X failed".
      const status = result.services.find((x) => x.name === result.failure?.service)?.status;
      const timedOut = result.failure.reason.startsWith('timed out') && status !== 'failed';
      this.err(timedOut ? `Startup ${result.failure.reason}\n` : `${who} failed: ${result.failure.reason}\n`);
      if (result.failure.lastLines.length > 0) {
        this.err(`Last log lines${result.failure.service ? ` of ${result.failure.service}` : ''}:\n`);
        const printer = new LogPrinter(this.context.stderr, {
          mode: 'text',
          timestamps: true,
          color: colorEnabled(this.context.stderr as { isTTY?: boolean }, this.context.env),
        });
        printer.lines(result.failure.lastLines);
      }
      return EXIT_FAILURE;
    }
    const deferred = new Set(result.deferred);
    const touched = new Set([...result.started, ...result.alreadyRunning]);
    const ready =
      touched.size > 0
        ? [...touched].filter((n) => !deferred.has(n)).length
        : result.services.filter((s) => !deferred.has(s.name)).length;
    this.out(`${ready} ${ready === 1 ? 'service' : 'services'} ready\n`);
    if (deferred.size > 0) {
      const one = deferred.size === 1;
      this.out(
        `${deferred.size} deferred ${one ? 'service continues' : 'services continue'} in the background\n`,
      );
    }
    return EXIT_OK;
  }

  private async runFollow(client: DaemonClient, config: ConfigRef): Promise<number> {
    const printer = new LogPrinter(this.context.stdout, {
      mode: 'text',
      timestamps: true,
      color: this.color,
    });
    const stream = client.stream(this.request(config, 'follow'), (event: StreamEvent) => {
      switch (event.type) {
        case 'logLines':
          printer.lines(event.lines);
          break;
        case 'serviceStatusChanged':
          printer.status(event.service, event.status, event.reason);
          break;
        case 'progress':
          printer.note(event.service, event.message);
          break;
        case 'ready':
          if (event.deferred.length > 0) {
            printer.note('kepler', `startup cluster ready; deferred: ${event.deferred.join(', ')}`);
          }
          break;
        case 'plan':
          this.onPlan(event.plan);
          break;
        case 'begun': {
          this.sayStale(config, event);
          // What the run does and what Ctrl+C will stop, before any state line.
          const header = followHeader(event, this.services);
          const lines = outcomeLines(event, this.services, this.verbs, { listStarted: false });
          for (const line of header === null ? lines : [...lines, header]) this.out(`${line}\n`);
          break;
        }
        case 'quiescent':
          break;
      }
    });
    let isForced = false;
    let forced: () => void = () => {};
    const force = new Promise<'forced'>((resolve) => {
      forced = () => {
        isForced = true;
        resolve('forced');
      };
    });
    let stopping: Promise<void> | null = null;
    let stopFailed = false;
    let cancelledByUs = false;
    const cancel = () => {
      cancelledByUs = true;
      stream.cancel();
    };
    // After our own cancel the stream may end with an error or without a result: that is the stop's end.
    const result = stream.result.catch((error: unknown) => {
      if (cancelledByUs) return null;
      throw error;
    });
    const off = onInterrupt((count) => {
      if (count === 1) {
        this.err('Stopping services... (press Ctrl+C again to force)\n');
        stopping = this.stopOnSecondConnection(config).then(
          () => {
            // The stream normally ends by itself once everything is stopped; do not wait forever if not.
            setTimeout(cancel, FOLLOW_END_GRACE_MS).unref();
          },
          (error: unknown) => {
            if (isForced) return; // Closed by the second Ctrl+C: nothing to report.
            stopFailed = true;
            this.err(
              `Could not stop the services: ${error instanceof Error ? error.message : String(error)}\n`,
            );
            cancel();
          },
        );
      } else {
        forced();
      }
    });
    try {
      const first = await Promise.race([result, force]);
      if (first === 'forced') {
        cancel();
        this.stopClient?.close();
        return EXIT_INTERRUPTED;
      }
      if (stopping !== null && (await Promise.race([stopping, force])) === 'forced') {
        this.stopClient?.close();
        return EXIT_INTERRUPTED;
      }
      if (first === null) return stopFailed ? EXIT_FAILURE : EXIT_OK;
      const failed = first.services.filter((s) => s.status === 'failed');
      for (const s of failed) this.err(`${s.name} failed${s.reason ? `: ${s.reason}` : ''}\n`);
      return failed.length > 0 ? EXIT_FAILURE : EXIT_OK;
    } finally {
      off();
    }
  }

  /** The connection of the Ctrl+C stop, closed if a second Ctrl+C gives up on it. */
  private stopClient: DaemonClient | null = null;

  /** Sends the Ctrl+C stop on its own connection: the first one is busy with the stream. */
  private async stopOnSecondConnection(config: ConfigRef): Promise<void> {
    const client = await this.connect();
    this.stopClient = client;
    try {
      await client.request({ type: 'stop', config, services: this.services });
    } finally {
      client.close();
    }
  }
}
