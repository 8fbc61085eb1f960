import type { ConfigRef, Requests, StreamEvent } from '@kepler/protocol';
import { Command, Option } from 'clipanion';
import { CliError, codeOf, EXIT_OK, UsageError } from '../errors.js';
import { type LogOutputMode, LogPrinter } from '../format/LogPrinter.js';
import { clearedLine, notLoadedLine } from '../format/notes.js';
import { onInterrupt } from '../interrupts.js';
import { parseTimeArg } from '../timeArg.js';
import { ConfigCommand } from './BaseCommand.js';

/** Lines `--follow` prints before streaming when neither `--tail` nor `--since` is given. */
export const FOLLOW_DEFAULT_TAIL = 10;

/** The validated line selection of `kepler logs`. */
export interface LogsSelection {
  readonly head?: number;
  readonly tail?: number;
  /** Stored lines from this time on, ms since the epoch. */
  readonly since?: number;
  /** Stored lines up to this time, ms since the epoch. */
  readonly until?: number;
  readonly follow: boolean;
  readonly mode: LogOutputMode;
}

/**
 * Checks `--head`, `--tail`, `--since`, `--until`, `--follow`, `--json`, `--raw`: counts are whole
 * numbers, times are durations before `nowMs` or timestamps (see timeArg.ts), `--head` and `--tail`
 * exclude each other, `--head` and `--until` cannot follow, `--since` is not after `--until`, `--json`
 * and `--raw` exclude each other. `--follow` without `--tail` or `--since` shows the last 10 lines first.
 *
 * @throws UsageError naming the flag.
 */
export function validateLogsFlags(
  flags: {
    readonly head: string | undefined;
    readonly tail: string | undefined;
    readonly since?: string | undefined;
    readonly until?: string | undefined;
    readonly follow: boolean;
    readonly json: boolean;
    readonly raw: boolean;
  },
  nowMs: number = Date.now(),
): LogsSelection {
  const count = (flag: string, value: string | undefined): number | undefined => {
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value)) throw new UsageError(`${flag}: "${value}" is not a number of lines`);
    const n = Number(value);
    if (!Number.isSafeInteger(n)) throw new UsageError(`${flag}: ${value} is too large`);
    return n;
  };
  const head = count('--head', flags.head);
  const tail = count('--tail', flags.tail);
  if (head !== undefined && tail !== undefined)
    throw new UsageError('--head and --tail cannot be used together');
  if (head !== undefined && flags.follow)
    throw new UsageError('--head cannot be used with --follow (use --tail)');
  if (flags.until !== undefined && flags.follow)
    throw new UsageError('--until cannot be used with --follow (new lines are never before it)');
  if (flags.json && flags.raw) throw new UsageError('--json and --raw cannot be used together');
  const since = flags.since === undefined ? undefined : parseTimeArg('--since', flags.since, nowMs);
  const until = flags.until === undefined ? undefined : parseTimeArg('--until', flags.until, nowMs);
  if (since !== undefined && until !== undefined && since > until)
    throw new UsageError(`--since ${flags.since} is after --until ${flags.until}`);
  const mode: LogOutputMode = flags.json ? 'json' : flags.raw ? 'raw' : 'text';
  const window = {
    ...(since === undefined ? {} : { since: Math.max(0, since) }),
    ...(until === undefined ? {} : { until: Math.max(0, until) }),
  };
  if (flags.follow) {
    // `--follow --since T`: every line of the window, then the live ones (as docker compose does).
    const followTail = tail ?? (since === undefined ? FOLLOW_DEFAULT_TAIL : undefined);
    return { ...(followTail === undefined ? {} : { tail: followTail }), ...window, follow: true, mode };
  }
  return {
    ...(head === undefined ? {} : { head }),
    ...(tail === undefined ? {} : { tail }),
    ...window,
    follow: false,
    mode,
  };
}

/**
 * `kepler logs [SERVICE...] [--follow] [--head N | -n,--tail N] [--since T] [--until T] [--no-hook]
 * [--json] [--raw]`.
 */
export class LogsCommand extends ConfigCommand {
  /** Needs a daemon: starts one when none runs (see BaseCommand.connect). */
  protected override readonly startsDaemon = true;

  static override paths = [['logs']];

  static override usage = Command.Usage({
    category: 'Services',
    description: 'View service and hook logs',
    details: `
      Prints the stored lines of the config's services (or the named ones), merged by time, as
      \`<time> <service>[.<hook>] | <line>\` with the local time as HH:MM:SS.mmm. Service names are
      coloured when stdout is a terminal (NO_COLOR turns it off, FORCE_COLOR on).

      Without \`--head\` or \`--tail\` (\`-n\`), every stored line is printed. \`--follow\` prints the last
      10 lines (or \`--tail N\`) and then new lines as they arrive, until Ctrl+C or the daemon stops, or
      until the config is unloaded (\`kepler down\`, \`stop --clean\`): it then says so, as for a config
      the daemon has not loaded.

      \`--since\` and \`--until\` keep the lines captured in a time window, both ends included: a
      duration before now (\`10m\`, \`1h30m\`), a timestamp (\`2026-01-02T13:23:37Z\`, with an offset, or
      without a zone for local time; \`2026-01-02\` is its midnight) or Unix seconds. \`--head\` and
      \`--tail\` count within the window; \`--follow --since 10m\` prints every line of the last 10 minutes,
      then new ones.

      \`--raw\` prints only the lines' bytes, exactly as the service wrote them. \`--json\` prints one object
      per line: \`ts\` (ISO-8601), \`service\`, \`hook\` (for hook output), \`stream\` and \`line\`.
      Note: \`-f\` is \`--file\`, as in every command; following is \`--follow\`.

      A service whose stored output was emptied by its \`logs.retention\` setting (by default
      \`on_stop: clear\`) gets a line on stderr naming that setting. A config the daemon has not loaded is
      not loaded by \`logs\`: it says so on stderr and exits 0.
    `,
    examples: [
      ['Every stored line of every service', '$0 logs'],
      ['Follow the last 50 lines of web', '$0 logs --follow --tail 50 web'],
      ['The last 20 lines of the past hour', '$0 logs -n 20 --since 1h'],
      ['Lines of a time window', '$0 logs --since 2026-01-02T13:00:00Z --until 2026-01-02T13:05:00Z'],
      ['The first 20 lines, without hook output', '$0 logs --head 20 --no-hook'],
      ['Lines as JSON for jq', '$0 logs --json | jq -r \'select(.stream == "stderr") | .line\''],
    ],
  });

  services = Option.Rest({ name: 'service' });

  protected override adhocNames(): readonly string[] {
    return this.services;
  }
  follow = Option.Boolean('--follow', false, { description: 'Keep printing new lines until Ctrl+C' });
  head = Option.String('--head', { description: 'Only the first N lines' });
  tail = Option.String('-n,--tail', { description: 'Only the last N lines (default with --follow: 10)' });
  since = Option.String('--since', {
    description: 'Only lines since a time: a duration ago (10m) or a timestamp (2026-01-02T13:23:37Z)',
  });
  until = Option.String('--until', {
    description: 'Only lines until a time: a duration ago (10m) or a timestamp',
  });
  noHook = Option.Boolean('--no-hook', false, { description: 'Leave out the output of hooks' });
  json = Option.Boolean('--json', false, { description: 'One JSON object per line' });
  raw = Option.Boolean('--raw', false, { description: 'Only the lines, byte for byte' });
  timestamps = Option.Boolean('--timestamps', {
    description:
      "Always show each line's time (--no-timestamps: never; default: each service's logs.timestamp)",
  });

  override async execute(): Promise<number> {
    const selection = validateLogsFlags({
      head: this.head,
      tail: this.tail,
      since: this.since,
      until: this.until,
      follow: this.follow,
      json: this.json,
      raw: this.raw,
    });
    const config = await this.configRefWithHint();
    const request: Requests['logs'] = {
      type: 'logs',
      config,
      services: this.services,
      ...(selection.head === undefined ? {} : { head: selection.head }),
      ...(selection.tail === undefined ? {} : { tail: selection.tail }),
      ...(this.noHook ? { noHook: true } : {}),
      ...(selection.follow ? { follow: true } : {}),
      ...(selection.since === undefined ? {} : { since: selection.since }),
      ...(selection.until === undefined ? {} : { until: selection.until }),
    };
    const printer = new LogPrinter(this.context.stdout, {
      mode: selection.mode,
      timestamps: this.timestamps,
      color: this.color,
    });
    const client = await this.connect();
    let interrupted = false;
    try {
      const stdout = this.context.stdout;
      let paused = false;
      const stream = client.stream(request, (event: StreamEvent) => {
        if (event.type !== 'logLines') return;
        printer.lines(event.lines);
        // Stored lines: read no faster than stdout takes them (a pager, a slow pipe); the daemon then
        // waits too, instead of either side holding the whole log in memory. Not when following: live
        // lines cannot wait, and a follower the daemon cannot send to is dropped.
        if (!selection.follow && !paused && stdout.writableNeedDrain) {
          paused = true;
          client.pause();
          stdout.once('drain', () => {
            paused = false;
            client.resume();
          });
        }
      });
      const off = onInterrupt(() => {
        interrupted = true;
        stream.cancel();
        // Read again even if stdout is stuck: the daemon may be waiting for us to drain before it
        // reads the cancel.
        client.resume();
      });
      try {
        const result = await stream.result;
        // On stderr: stdout stays the log (or JSON lines) even when it is empty.
        if (result.loaded === false) this.err(`${notLoadedLine(config.path)}\n`);
        for (const cleared of result.cleared ?? []) this.err(`${clearedLine(cleared)}\n`);
      } catch (error) {
        // Ctrl+C ends a follow cleanly. A daemon that stops ends it with a response (exit 0); a lost
        // connection (the daemon crashed, or dropped a reader that fell too far behind) is an error.
        if (!interrupted) throw error;
      } finally {
        off();
      }
    } finally {
      client.close();
    }
    return EXIT_OK;
  }

  /**
   * `configRef()`, saying for a `-f` that names no config that `-f` is `--file`: `kepler logs -f web`
   * is most likely meant as `--follow web` (docker compose's `-f`).
   */
  private async configRefWithHint(): Promise<ConfigRef> {
    try {
      return await this.configRef();
    } catch (error) {
      if ((this.files?.length ?? 0) === 0 || codeOf(error) !== 'CONFIG_NOT_FOUND') throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new CliError(
        'CONFIG_NOT_FOUND',
        `${message}; -f is --file (the config file): to follow logs, use --follow`,
      );
    }
  }
}
